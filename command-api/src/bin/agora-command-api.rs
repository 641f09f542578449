//! `agora-command-api`: serves the HTTP command API.
//!
//! `agora-command-api mint-token --role admin [--subject NAME] [--hours N]` prints an access
//! token signed with the configured secret (for operators and local development).
//!
//! `agora-command-api create-admin --email E --password P [--name N]` registers an account (or
//! finds it) and makes it an admin, printing its id: the first admin of a fresh installation.

use std::process::ExitCode;

use command_api::{
    auth::{AUDIENCE, Claims, Keys, Role},
    config::ApiConfig,
    identity::admin::{self, AdminOutcome, AdminRequest},
    startup::Application,
};
use runtime::shutdown::Shutdown;

#[tokio::main]
async fn main() -> ExitCode {
    runtime::telemetry::init("command-api");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("mint-token") => mint_token(&args[1..]),
        Some("create-admin") => create_admin(&args[1..]).await,
        None | Some("serve") => serve().await,
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other:?}; use `serve`, `mint-token` or `create-admin`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora-command-api: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = ApiConfig::from_env()?;
    let shutdown = Shutdown::new().on_signals();
    let app = Application::build(config, shutdown.clone()).await?;
    tracing::info!(addr = %app.local_addr()?, "command API listening");
    app.run_until_stopped(shutdown).await?;
    Ok(())
}

fn mint_token(args: &[String]) -> anyhow::Result<()> {
    let config = ApiConfig::from_env()?;
    let mut role = Role::Admin;
    let mut subject = "operator".to_string();
    let mut hours = 12i64;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--role" => {
                role = serde_json::from_value(serde_json::Value::String(value.clone()))
                    .map_err(|_| anyhow::anyhow!("--role must be customer, staff or admin"))?
            }
            "--subject" => subject = value.clone(),
            "--hours" => hours = value.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    let claims = Claims {
        sub: subject,
        role,
        aud: AUDIENCE.to_string(),
        exp: chrono::Utc::now().timestamp() + hours * 3600,
    };
    println!("{}", Keys::from_secret(&config.jwt_secret).sign(&claims)?);
    Ok(())
}

async fn create_admin(args: &[String]) -> anyhow::Result<()> {
    let config = ApiConfig::from_env()?;
    let mut request = AdminRequest {
        email: String::new(),
        password: String::new(),
        display_name: "Administrator".to_string(),
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--email" => request.email = value.clone(),
            "--password" => request.password = value.clone(),
            "--name" => request.display_name = value.clone(),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        !request.email.is_empty() && !request.password.is_empty(),
        "usage: create-admin --email E --password P [--name N]"
    );
    match admin::create_admin(&config, request).await? {
        AdminOutcome::Created(id) => println!("created admin {id}"),
        AdminOutcome::Existing(id) => println!("account exists; admin role ensured for {id}"),
    }
    Ok(())
}
