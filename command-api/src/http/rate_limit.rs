//! The per-caller command rate limit: a token bucket per caller, applied as a middleware to the
//! command routes (not to `/healthz`, `/readyz`, `/metrics`, `/openapi.json` or `/docs`).
//!
//! A caller is the subject of a valid bearer token, else the client's address (an IPv6 client
//! by its /64, which one host can fill with addresses at will). The address is the connecting
//! one unless `AGORA_CLIENT_IP_HEADER` names the header a trusted proxy sets. Each bucket holds
//! up to `burst` requests and refills at `per_second`; a request finding it empty is refused
//! with 429 `rate_limited` and `Retry-After` (whole seconds until a token is back) before its
//! handler runs, so it sends nothing.
//!
//! Like the login throttle (`identity::rate_limit`), the buckets live in this process: with N
//! instances a caller gets up to N times the rate. Memory is bounded: buckets that have filled
//! up again are forgotten (a full bucket is what a new caller gets anyway), and past
//! [`MAX_CALLERS`] buckets new callers are let through untracked rather than refused.
//! Settings: [`crate::config::CommandRateLimit`].

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName, header::AUTHORIZATION},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{auth::Keys, config::CommandRateLimit, error::ApiError};

/// Most callers tracked at once.
pub const MAX_CALLERS: usize = 100_000;

/// Buckets tracked before the first sweep of full ones.
const FIRST_SWEEP_AT: usize = 1024;

/// Token buckets keyed by caller.
#[derive(Debug)]
pub struct TokenBuckets {
    per_second: f64,
    burst: f64,
    state: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    by_caller: HashMap<String, Bucket>,
    /// Size at which the next new caller triggers a sweep (doubles, so sweeps stay amortised).
    sweep_at: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refilled(self, now: Instant, per_second: f64, burst: f64) -> Self {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        Self {
            tokens: (self.tokens + elapsed * per_second).min(burst),
            at: now,
        }
    }
}

impl TokenBuckets {
    /// Buckets of `limit.burst` tokens refilled at `limit.per_second`.
    pub fn new(limit: CommandRateLimit) -> Self {
        Self {
            per_second: limit.per_second,
            burst: f64::from(limit.burst),
            state: Mutex::new(Buckets {
                by_caller: HashMap::new(),
                sweep_at: FIRST_SWEEP_AT,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets> {
        // A panic while holding the lock leaves plain numbers behind, still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one token from `caller`'s bucket at `now`; `Err(wait)` when it is empty, `wait`
    /// being how long until it holds one again.
    pub fn take(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        let (per_second, burst) = (self.per_second, self.burst);
        let mut state = self.lock();
        if let Some(bucket) = state.by_caller.get_mut(caller) {
            *bucket = bucket.refilled(now, per_second, burst);
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return Ok(());
            }
            let wait = (1.0 - bucket.tokens) / per_second;
            return Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX));
        }
        if state.by_caller.len() >= state.sweep_at {
            state
                .by_caller
                .retain(|_, bucket| bucket.refilled(now, per_second, burst).tokens < burst);
            state.sweep_at = (state.by_caller.len() * 2).max(FIRST_SWEEP_AT);
        }
        if state.by_caller.len() < MAX_CALLERS {
            let bucket = Bucket {
                tokens: burst - 1.0,
                at: now,
            };
            state.by_caller.insert(caller.to_string(), bucket);
        }
        Ok(())
    }

    /// How many callers are tracked.
    pub fn tracked(&self) -> usize {
        self.lock().by_caller.len()
    }
}

/// What the middleware needs: the buckets, the token keys (to trust a subject only when its
/// token verifies) and where the client's address comes from.
#[derive(Clone)]
pub struct CommandLimiter {
    buckets: Arc<TokenBuckets>,
    keys: Arc<Keys>,
    client_ip_header: Option<HeaderName>,
}

impl CommandLimiter {
    /// A limiter with `limit`, verifying tokens with `keys`.
    pub fn new(
        limit: CommandRateLimit,
        keys: Arc<Keys>,
        client_ip_header: Option<HeaderName>,
    ) -> Self {
        Self {
            buckets: Arc::new(TokenBuckets::new(limit)),
            keys,
            client_ip_header,
        }
    }

    /// Whose bucket a request draws from.
    fn caller(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> String {
        let subject = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|token| self.keys.verify(token).ok())
            .map(|claims| claims.sub);
        if let Some(subject) = subject {
            return format!("subject:{subject}");
        }
        let forwarded = self
            .client_ip_header
            .as_ref()
            .and_then(|name| headers.get(name))
            .and_then(|value| value.to_str().ok())
            // The proxy appends the address it saw last (`X-Forwarded-For`); earlier entries
            // are whatever the client wrote.
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        match forwarded.or(peer) {
            Some(ip) => format!("address:{}", network_of(ip)),
            None => "address:unknown".to_string(),
        }
    }
}

/// The unit one client controls: an IPv4 address, or an IPv6 /64.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::from(segments)
            }
        },
    }
}

/// The middleware: refuses a request whose caller's bucket is empty.
pub async fn limit(
    State(limiter): State<CommandLimiter>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let caller = limiter.caller(request.headers(), peer);
    match limiter.buckets.take(&caller, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::debug!(
                limit.caller_kind = caller.split(':').next().unwrap_or_default(),
                "command rate limit reached"
            );
            // Rounded up: retrying after exactly that many seconds must get through.
            let retry_after_secs = wait
                .as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0));
            ApiError::RateLimited {
                retry_after_secs: retry_after_secs.max(1),
            }
            .into_response()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;
    use crate::auth::{AUDIENCE, Claims, Role};

    fn buckets(per_second: f64, burst: u32) -> TokenBuckets {
        TokenBuckets::new(CommandRateLimit { per_second, burst })
    }

    #[test]
    fn a_caller_gets_its_burst_then_waits_for_the_refill() {
        let limits = buckets(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limits.take("ada", start).is_ok());
        }
        assert_eq!(limits.take("ada", start), Err(Duration::from_millis(500)));
        assert!(limits.take("bob", start).is_ok(), "buckets are per caller");
        let later = start + Duration::from_millis(500);
        assert!(limits.take("ada", later).is_ok());
        assert!(limits.take("ada", later).is_err());
    }

    #[test]
    fn an_idle_caller_never_holds_more_than_the_burst() {
        let limits = buckets(10.0, 2);
        let start = Instant::now();
        assert!(limits.take("ada", start).is_ok());
        let much_later = start + Duration::from_secs(3600);
        assert!(limits.take("ada", much_later).is_ok());
        assert!(limits.take("ada", much_later).is_ok());
        assert!(limits.take("ada", much_later).is_err());
    }

    #[test]
    fn full_buckets_are_forgotten_so_memory_follows_active_callers() {
        let limits = buckets(1000.0, 1);
        let start = Instant::now();
        for i in 0..FIRST_SWEEP_AT {
            limits.take(&format!("caller{i}"), start).unwrap();
        }
        assert_eq!(limits.tracked(), FIRST_SWEEP_AT);
        // A second later every bucket is full again: the next new caller sweeps them all.
        limits
            .take("newcomer", start + Duration::from_secs(1))
            .unwrap();
        assert_eq!(limits.tracked(), 1);
    }

    fn limiter(header: Option<&str>) -> CommandLimiter {
        CommandLimiter::new(
            CommandRateLimit {
                per_second: 1.0,
                burst: 1,
            },
            Arc::new(Keys::from_secret("test-secret")),
            header.map(|name| HeaderName::from_bytes(name.as_bytes()).unwrap()),
        )
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    #[test]
    fn a_verified_token_is_the_caller_and_a_forged_one_falls_back_to_the_address() {
        let limiter = limiter(None);
        let claims = Claims {
            sub: "ada".into(),
            role: Role::Customer,
            aud: AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let genuine = Keys::from_secret("test-secret").sign(&claims).unwrap();
        let forged = Keys::from_secret("other").sign(&claims).unwrap();
        let peer = Some(IpAddr::from([192, 0, 2, 7]));
        assert_eq!(limiter.caller(&bearer(&genuine), peer), "subject:ada");
        assert_eq!(limiter.caller(&bearer(&forged), peer), "address:192.0.2.7");
        assert_eq!(limiter.caller(&HeaderMap::new(), None), "address:unknown");
    }

    #[test]
    fn the_proxy_header_is_read_only_when_configured_and_its_last_entry_counts() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        let peer = Some(IpAddr::from([10, 0, 0, 2]));
        assert_eq!(limiter(None).caller(&headers, peer), "address:10.0.0.2");
        assert_eq!(
            limiter(Some("x-forwarded-for")).caller(&headers, peer),
            "address:203.0.113.9"
        );
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_bit_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(network_of(mapped), IpAddr::from([192, 0, 2, 1]));
    }
}
