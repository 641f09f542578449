//! Login throttling: sliding windows of failed attempts per account and per client IP.
//!
//! The windows live in this process's memory, so the limits hold **per API instance**: with N
//! instances behind a load balancer an attacker gets up to N times the budget. That is an
//! accepted trade for now (no shared store on the hot path); a shared limiter would keep the
//! same interface. Only failures count, and a successful login clears its account's window, so
//! people who type their password right are never slowed down.

use std::{
    collections::{HashMap, VecDeque},
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};

/// Failed logins allowed per account within [`ACCOUNT_WINDOW`].
pub const ACCOUNT_LIMIT: usize = 5;
/// The per-account window.
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins allowed per client IP within [`IP_WINDOW`].
pub const IP_LIMIT: usize = 20;
/// The per-IP window.
pub const IP_WINDOW: Duration = Duration::from_secs(60);
/// Records between sweeps of keys whose window is empty (bounds memory under spraying).
const SWEEP_EVERY: u64 = 1024;

/// At most `limit` events per key within `window`.
#[derive(Debug)]
pub struct SlidingWindow {
    limit: usize,
    window: Duration,
    state: Mutex<WindowState>,
}

#[derive(Debug, Default)]
struct WindowState {
    hits: HashMap<String, VecDeque<Instant>>,
    records: u64,
}

impl SlidingWindow {
    /// A window allowing `limit` events per `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            state: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WindowState> {
        // A panic while holding the lock leaves plain counters behind, still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` when `key` has used its budget at `now`: `wait` is how long until the oldest
    /// counted event leaves the window.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut state = self.lock();
        let Some(hits) = state.hits.get_mut(key) else {
            return Ok(());
        };
        prune(hits, now, self.window);
        if hits.len() < self.limit {
            return Ok(());
        }
        let oldest = hits.front().copied().unwrap_or(now);
        Err((oldest + self.window).saturating_duration_since(now))
    }

    /// Counts one event for `key` at `now`.
    pub fn record(&self, key: &str, now: Instant) {
        let window = self.window;
        let mut state = self.lock();
        let hits = state.hits.entry(key.to_string()).or_default();
        prune(hits, now, window);
        hits.push_back(now);
        state.records += 1;
        if state.records.is_multiple_of(SWEEP_EVERY) {
            state.hits.retain(|_, hits| {
                prune(hits, now, window);
                !hits.is_empty()
            });
        }
    }

    /// Forgets `key`'s events.
    pub fn clear(&self, key: &str) {
        self.lock().hits.remove(key);
    }
}

fn prune(hits: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while let Some(&first) = hits.front() {
        if now.saturating_duration_since(first) >= window {
            hits.pop_front();
        } else {
            break;
        }
    }
}

/// The login limiter: one window per account, one per client IP.
#[derive(Debug)]
pub struct LoginLimiter {
    per_account: SlidingWindow,
    per_ip: SlidingWindow,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(
            SlidingWindow::new(ACCOUNT_LIMIT, ACCOUNT_WINDOW),
            SlidingWindow::new(IP_LIMIT, IP_WINDOW),
        )
    }
}

impl LoginLimiter {
    /// A limiter with the given windows.
    pub fn new(per_account: SlidingWindow, per_ip: SlidingWindow) -> Self {
        Self {
            per_account,
            per_ip,
        }
    }

    /// `Err(seconds to wait)` when either the account or the IP is over its budget.
    pub fn check(&self, account: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let account_wait = self.per_account.check(account, now).err();
        let ip_wait = ip.and_then(|ip| self.per_ip.check(&ip.to_string(), now).err());
        match account_wait.max(ip_wait) {
            // Round up: a client retrying after exactly that many seconds must get through.
            Some(wait) => Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against the account and the IP.
    pub fn failure(&self, account: &str, ip: Option<IpAddr>, now: Instant) {
        self.per_account.record(account, now);
        if let Some(ip) = ip {
            self.per_ip.record(&ip.to_string(), now);
        }
    }

    /// A successful login clears the account's failures (not the IP's).
    pub fn success(&self, account: &str) {
        self.per_account.clear(account);
    }
}

/// The client's IP as the listener saw it, when the server was started with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`); otherwise `None` and only the
/// per-account limit applies. Forwarded headers are not trusted: anyone can write them.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn an_account_is_blocked_after_five_failures_until_the_oldest_leaves_the_window() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for i in 0..5 {
            assert!(limiter.check("ada@example.com", None, start).is_ok());
            limiter.failure("ada@example.com", None, start + Duration::from_secs(i));
        }
        let now = start + Duration::from_secs(10);
        assert_eq!(
            limiter.check("ada@example.com", None, now),
            Err(15 * 60 - 10)
        );
        assert!(limiter.check("bob@example.com", None, now).is_ok());
        let later = start + ACCOUNT_WINDOW;
        assert!(limiter.check("ada@example.com", None, later).is_ok());
    }

    #[test]
    fn an_ip_is_blocked_after_twenty_failures_across_accounts() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for i in 0..20 {
            limiter.failure(&format!("user{i}@example.com"), IP, now);
        }
        assert_eq!(limiter.check("new@example.com", IP, now), Err(60));
        assert!(limiter.check("new@example.com", None, now).is_ok());
        assert!(
            limiter
                .check("new@example.com", IP, now + IP_WINDOW)
                .is_ok()
        );
    }

    #[test]
    fn a_success_clears_the_account_but_not_the_ip() {
        let limiter = LoginLimiter::new(
            SlidingWindow::new(2, Duration::from_secs(60)),
            SlidingWindow::new(2, Duration::from_secs(60)),
        );
        let now = Instant::now();
        limiter.failure("ada@example.com", IP, now);
        limiter.failure("ada@example.com", IP, now);
        limiter.success("ada@example.com");
        assert!(limiter.check("ada@example.com", None, now).is_ok());
        assert!(limiter.check("ada@example.com", IP, now).is_err());
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        let limiter = LoginLimiter::new(
            SlidingWindow::new(1, Duration::from_millis(1500)),
            SlidingWindow::new(10, Duration::from_secs(60)),
        );
        let now = Instant::now();
        limiter.failure("ada@example.com", None, now);
        assert_eq!(limiter.check("ada@example.com", None, now), Err(2));
    }

    #[test]
    fn sweeping_forgets_keys_whose_window_is_empty() {
        let window = SlidingWindow::new(5, Duration::from_secs(1));
        let start = Instant::now();
        for i in 0..SWEEP_EVERY {
            window.record(&format!("key{i}"), start);
        }
        let later = start + Duration::from_secs(2);
        for i in 0..SWEEP_EVERY {
            window.record("hot", later + Duration::from_millis(i));
        }
        assert_eq!(window.lock().hits.len(), 1);
    }
}
