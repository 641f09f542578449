//! The suite's private deployment: its own topics, Postgres database and ClickHouse database
//! (a [`TestNamespace`]) on the running local stack, and every Agora service as a child process
//! on free ports — 2 command processors, 1 checkout saga, 1 projector, 2 command APIs and 1 query
//! API — each restartable by the chaos driver and by a supervisor that restarts anything that
//! died on its own (as an orchestrator would), counting it.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Mutex,
    time::Duration,
};

use anyhow::Context;
use runtime::testing::{ChildProcess, TestNamespace};
use serde::Serialize;

/// What a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `agora-processor`.
    Processor,
    /// `agora-saga`.
    Saga,
    /// `agora-projector run`.
    Projector,
    /// `agora-command-api serve`.
    CommandApi,
    /// `agora-query-api`.
    QueryApi,
}

impl Role {
    /// Every role, in start order (writers first, so the APIs find their topics served).
    pub const ALL: [Role; 5] = [
        Role::Processor,
        Role::Projector,
        Role::Saga,
        Role::CommandApi,
        Role::QueryApi,
    ];

    /// How many instances the suite runs.
    pub fn replicas(self) -> usize {
        match self {
            Role::Processor | Role::CommandApi => 2,
            Role::Saga | Role::Projector | Role::QueryApi => 1,
        }
    }

    /// Binary and arguments.
    fn command(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Role::Processor => ("agora-processor", &[]),
            Role::Saga => ("agora-saga", &[]),
            Role::Projector => ("agora-projector", &["run"]),
            Role::CommandApi => ("agora-command-api", &["serve"]),
            Role::QueryApi => ("agora-query-api", &[]),
        }
    }

    /// The variable naming the address the service binds (workers: their health endpoint).
    fn addr_variable(self) -> &'static str {
        match self {
            Role::CommandApi => "AGORA_COMMAND_ADDR",
            Role::QueryApi => "AGORA_QUERY_ADDR",
            _ => "AGORA_HEALTH_ADDR",
        }
    }

    /// Short name for logs and the summary.
    pub fn name(self) -> &'static str {
        match self {
            Role::Processor => "processor",
            Role::Saga => "saga",
            Role::Projector => "projector",
            Role::CommandApi => "command-api",
            Role::QueryApi => "query-api",
        }
    }
}

/// Reservations expire after this long, so unpaid checkouts are cancelled within the run and
/// the settle phase has a bounded amount of saga work left.
pub const RESERVATION_TTL_MS: &str = "30000";

/// One instance of a service.
#[derive(Debug)]
struct Instance {
    role: Role,
    index: usize,
    addr: String,
    child: Option<ChildProcess>,
    /// True while the chaos driver holds it down on purpose.
    held_down: bool,
    starts: u32,
    unexpected_exits: u32,
}

/// How often each instance started and died by itself.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    /// `processor-0`, …
    pub name: String,
    /// Starts, the first included.
    pub starts: u32,
    /// Exits nobody asked for (restarted by the supervisor).
    pub unexpected_exits: u32,
}

/// The running deployment.
pub struct Deployment {
    /// The private namespace.
    pub ns: TestNamespace,
    logs: PathBuf,
    instances: Mutex<Vec<Instance>>,
}

impl Deployment {
    /// Creates the namespace, migrates its stores and starts every service; service logs go
    /// to `<logs>/<namespace>/`.
    pub async fn start(logs: &Path) -> anyhow::Result<Self> {
        let ns = TestNamespace::create("faults").await?;
        let logs = logs.join(&ns.name);
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let deployment = Self {
            ns,
            logs,
            instances: Mutex::new(Vec::new()),
        };
        let status = deployment
            .command("agora-projector", &["migrate"], "migrate")?
            .status()
            .context("running agora-projector migrate")?;
        anyhow::ensure!(status.success(), "agora-projector migrate failed: {status}");
        for role in Role::ALL {
            for index in 0..role.replicas() {
                let addr = format!("127.0.0.1:{}", free_port()?);
                deployment.lock().push(Instance {
                    role,
                    index,
                    addr,
                    child: None,
                    held_down: false,
                    starts: 0,
                    unexpected_exits: 0,
                });
                deployment.spawn(role, index)?;
            }
        }
        Ok(deployment)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Instance>> {
        // A panic while holding this lock is a bug in the suite; carry on with the data.
        self.instances.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A command for a workspace binary with the namespace's environment, output to a log file.
    fn command(&self, binary: &str, args: &[&str], log: &str) -> anyhow::Result<Command> {
        let path = sibling_binary(binary);
        let file = File::options()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{log}.log")))
            .context("opening a service log")?;
        let mut command = Command::new(&path);
        command
            .args(args)
            .envs(self.ns.env())
            .env(
                "RUST_LOG",
                std::env::var("AGORA_FAULTS_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        Ok(command)
    }

    fn spawn(&self, role: Role, index: usize) -> anyhow::Result<()> {
        let addr = self.addr(role, index).context("unknown instance")?;
        let (binary, args) = role.command();
        let mut command = self.command(binary, args, &format!("{}-{index}", role.name()))?;
        command
            .env(role.addr_variable(), &addr)
            .env("AGORA_COMMAND_TIMEOUT_MS", "5000")
            .env("AGORA_RESERVATION_TTL_MS", RESERVATION_TTL_MS);
        let child = command.spawn().with_context(|| {
            format!("starting {binary} (build it: cargo build --workspace --bins)")
        })?;
        let mut instances = self.lock();
        if let Some(instance) = instances
            .iter_mut()
            .find(|i| i.role == role && i.index == index)
        {
            instance.child = Some(ChildProcess {
                name: binary.to_string(),
                child,
            });
            instance.held_down = false;
            instance.starts += 1;
        }
        Ok(())
    }

    /// Where the service logs are.
    pub fn logs(&self) -> &Path {
        &self.logs
    }

    /// Address instance `index` of `role` binds.
    pub fn addr(&self, role: Role, index: usize) -> Option<String> {
        self.lock()
            .iter()
            .find(|i| i.role == role && i.index == index)
            .map(|i| i.addr.clone())
    }

    /// Base URLs of the command APIs.
    pub fn command_apis(&self) -> Vec<String> {
        (0..Role::CommandApi.replicas())
            .filter_map(|i| self.addr(Role::CommandApi, i))
            .map(|addr| format!("http://{addr}"))
            .collect()
    }

    /// Base URL of the query API.
    pub fn query_api(&self) -> Option<String> {
        self.addr(Role::QueryApi, 0)
            .map(|addr| format!("http://{addr}"))
    }

    /// `kill -9` an instance and keep it down until [`Deployment::restart`].
    pub fn kill(&self, role: Role, index: usize) -> anyhow::Result<()> {
        let mut instances = self.lock();
        let instance = instances
            .iter_mut()
            .find(|i| i.role == role && i.index == index)
            .context("unknown instance")?;
        instance.held_down = true;
        if let Some(mut child) = instance.child.take() {
            child.kill9()?;
        }
        Ok(())
    }

    /// Starts a killed instance again.
    pub fn restart(&self, role: Role, index: usize) -> anyhow::Result<()> {
        self.spawn(role, index)
    }

    /// Restarts every instance that exited without being asked to; returns their names.
    pub fn supervise(&self) -> Vec<String> {
        let mut died = Vec::new();
        {
            let mut instances = self.lock();
            for instance in instances.iter_mut().filter(|i| !i.held_down) {
                let exited = match instance.child.as_mut() {
                    Some(child) => child.child.try_wait().ok().flatten().is_some(),
                    None => true,
                };
                if exited {
                    instance.unexpected_exits += 1;
                    instance.child = None;
                    died.push((instance.role, instance.index));
                }
            }
        }
        let mut names = Vec::new();
        for (role, index) in died {
            names.push(format!("{}-{index}", role.name()));
            if let Err(error) = self.spawn(role, index) {
                tracing::error!(%error, "restarting a service that died failed");
            }
        }
        names
    }

    /// Waits until every instance answers `/healthz`.
    pub async fn wait_healthy(
        &self,
        http: &reqwest::Client,
        within: Duration,
    ) -> anyhow::Result<()> {
        let addrs: Vec<String> = self.lock().iter().map(|i| i.addr.clone()).collect();
        let deadline = tokio::time::Instant::now() + within;
        for addr in addrs {
            loop {
                let ok = http
                    .get(format!("http://{addr}/healthz"))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    break;
                }
                anyhow::ensure!(
                    tokio::time::Instant::now() < deadline,
                    "{addr} did not answer /healthz within {within:?} (logs in {})",
                    self.logs.display()
                );
                self.supervise();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    /// Starts and death counts per instance.
    pub fn report(&self) -> Vec<InstanceReport> {
        self.lock()
            .iter()
            .map(|i| InstanceReport {
                name: format!("{}-{}", i.role.name(), i.index),
                starts: i.starts,
                unexpected_exits: i.unexpected_exits,
            })
            .collect()
    }

    /// Runs `agora-projector <args>` against the namespace; returns success and its output.
    pub fn projector_tool(&self, args: &[&str]) -> anyhow::Result<(bool, String)> {
        let output = Command::new(sibling_binary("agora-projector"))
            .args(args)
            .envs(self.ns.env())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .output()
            .context("running agora-projector")?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((output.status.success(), text))
    }

    /// An admin access token signed like the APIs expect (`mint-token`).
    pub fn admin_token(&self) -> anyhow::Result<String> {
        let output = Command::new(sibling_binary("agora-command-api"))
            .args([
                "mint-token",
                "--role",
                "admin",
                "--subject",
                "fault-suite",
                "--hours",
                "24",
            ])
            .envs(self.ns.env())
            .output()
            .context("running agora-command-api mint-token")?;
        anyhow::ensure!(
            output.status.success(),
            "mint-token failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?.trim().to_string())
    }

    /// Stops every service (SIGKILL: the suite is over and its namespace is thrown away).
    pub fn stop(&self) {
        let mut instances = self.lock();
        for instance in instances.iter_mut() {
            instance.held_down = true;
            instance.child = None;
        }
    }
}

/// A workspace binary next to this one (same profile), else where tests would find it.
fn sibling_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .filter(|path| path.exists())
        .unwrap_or_else(|| runtime::testing::binary_path(name))
}

/// A port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
