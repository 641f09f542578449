//! Agora's services as real child processes, configured like `infra/lib/services.sh` starts
//! them (same binaries, same variables) but pointed at the run's namespace and on free ports.
//! Their output goes to `<out>/logs/<name>.log`; their peak RSS is read from
//! `/proc/<pid>/status` (`VmHWM`) before they are stopped.

use std::{
    collections::BTreeMap,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context;
use tokio::time::Instant;

use crate::namespace::BenchNamespace;

/// One running service.
pub struct Service {
    /// Short name (`command-api`, `processor`, …).
    pub name: &'static str,
    /// Where it answers (`http://127.0.0.1:<port>`): its API or its health port.
    pub base: String,
    child: Child,
}

impl Service {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size so far, in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        peak_rss_mib(self.pid())
    }

    /// Stops the process (SIGKILL: the services are built to survive it) and reaps it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The service binaries, where to find them and how they were configured.
pub struct Launcher {
    bin_dir: PathBuf,
    log_dir: PathBuf,
    env: Vec<(String, String)>,
}

/// name, binary, arguments, and the variable that sets its listen (or health) address.
const SPECS: [(&str, &str, &[&str], &str); 5] = [
    ("processor", "agora-processor", &[], "AGORA_HEALTH_ADDR"),
    (
        "command-api",
        "agora-command-api",
        &["serve"],
        "AGORA_COMMAND_ADDR",
    ),
    (
        "projector",
        "agora-projector",
        &["run"],
        "AGORA_HEALTH_ADDR",
    ),
    ("saga", "agora-saga", &[], "AGORA_HEALTH_ADDR"),
    ("query-api", "agora-query-api", &[], "AGORA_QUERY_ADDR"),
];

impl Launcher {
    /// Binaries from `bin_dir`, logs under `out/logs`, environment from `namespace`.
    pub fn new(bin_dir: &Path, out: &Path, namespace: &BenchNamespace) -> anyhow::Result<Self> {
        let log_dir = out.join("logs");
        std::fs::create_dir_all(&log_dir)
            .with_context(|| format!("creating {}", log_dir.display()))?;
        Ok(Self {
            bin_dir: bin_dir.to_path_buf(),
            log_dir,
            env: namespace.env(),
        })
    }

    /// Path of a workspace binary.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// Environment every service gets.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Starts the service called `name` and waits until `/healthz` answers.
    pub async fn start(&self, name: &str, http: &reqwest::Client) -> anyhow::Result<Service> {
        let (name, binary, args, addr_var) = SPECS
            .iter()
            .copied()
            .find(|spec| spec.0 == name)
            .with_context(|| format!("no service called {name}"))?;
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let log_path = self.log_dir.join(format!("{name}.log"));
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let path = self.binary(binary);
        let mut command = Command::new(&path);
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env(addr_var, &addr)
            .env("AGORA_COMMAND_TIMEOUT_MS", "20000")
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVICE_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command.spawn().with_context(|| {
            format!("starting {} (build the workspace binaries)", path.display())
        })?;
        let mut service = Service {
            name,
            base: format!("http://{addr}"),
            child,
        };
        let health = format!("{}/healthz", service.base);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = service.child.try_wait()? {
                anyhow::bail!(
                    "{name} exited during start-up ({status}); log: {}",
                    log_path.display()
                );
            }
            let answered = http.get(&health).send().await;
            if answered.is_ok_and(|r| r.status().is_success()) {
                return Ok(service);
            }
            if Instant::now() >= deadline {
                service.stop();
                anyhow::bail!(
                    "{name} did not answer {health} in 90 s; log: {}",
                    log_path.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every service of the platform, one process each.
pub struct Platform {
    /// The running services by name.
    pub services: BTreeMap<&'static str, Service>,
    /// Highest peak RSS seen per service name, in MiB, across restarts.
    pub peaks: BTreeMap<String, f64>,
}

impl Platform {
    /// Starts processor, command-api, projector, saga and query-api.
    pub async fn start(launcher: &Launcher, http: &reqwest::Client) -> anyhow::Result<Self> {
        let mut services = BTreeMap::new();
        for (name, ..) in SPECS {
            let service = launcher.start(name, http).await?;
            services.insert(service.name, service);
        }
        Ok(Self {
            services,
            peaks: BTreeMap::new(),
        })
    }

    /// Base URL of a running service.
    pub fn base(&self, name: &str) -> anyhow::Result<&str> {
        self.services
            .get(name)
            .map(|s| s.base.as_str())
            .with_context(|| format!("{name} is not running"))
    }

    /// Reads every service's peak RSS into [`Platform::peaks`].
    pub fn sample_memory(&mut self) {
        for service in self.services.values() {
            if let Some(mib) = service.peak_rss_mib() {
                let peak = self.peaks.entry(service.name.to_string()).or_insert(0.0);
                *peak = peak.max(mib);
            }
        }
    }

    /// Stops one service (after sampling its memory) and returns it no more.
    pub fn stop(&mut self, name: &str) {
        self.sample_memory();
        if let Some(mut service) = self.services.remove(name) {
            service.stop();
        }
    }

    /// Starts `name` again (after [`Platform::stop`]).
    pub async fn restart(
        &mut self,
        name: &str,
        launcher: &Launcher,
        http: &reqwest::Client,
    ) -> anyhow::Result<()> {
        self.stop(name);
        let service = launcher.start(name, http).await?;
        self.services.insert(service.name, service);
        Ok(())
    }

    /// Samples memory and stops everything.
    pub fn shutdown(&mut self) {
        self.sample_memory();
        for service in self.services.values_mut() {
            service.stop();
        }
        self.services.clear();
    }
}

/// `VmHWM` (peak resident set) of a process, in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
