//! No secrets or personal data in the logs: a shopper's whole session runs against a private
//! stack whose services log at `debug` in JSON, and everything they wrote is scanned afterwards
//! for the passwords, tokens, JWT secret, e-mail address and card number the session used.
//!
//! Build the binaries first: `cargo build -p command-api -p projectors --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use command_api::auth::DEV_SECRET;
use reqwest::Method;
use runtime::testing::{ChildProcess, TestNamespace, binary_path, eventually};
use serde_json::{Value, json};
use support::{
    WriteSide, free_port,
    identity::field,
    shop::{Shop, Shopper},
};

const EMAIL: &str = "Log.Scan+Secret@Example.com";
const PASSWORD: &str = "first-pass-phrase-7f3a";
const WRONG_PASSWORD: &str = "wrong-pass-phrase-91c2";
const NEW_PASSWORD: &str = "second-pass-phrase-b8d0";
const CARD: &str = "4242424242424242";

/// Services log at `debug`, so a secret passed to any `debug!`/`info!` or span field shows up.
const LOG_ENV: [(&str, &str); 3] = [
    ("RUST_LOG", "debug"),
    ("AGORA_LOG_FORMAT", "json"),
    ("AGORA_HEALTH_ADDR", "127.0.0.1:0"),
];

/// Starts `binary` in `ns` with stdout and stderr written to files in `dir`.
fn spawn_logged(
    ns: &TestNamespace,
    dir: &Path,
    binary: &str,
    args: &[&str],
    extra: &[(&str, &str)],
) -> ChildProcess {
    let out = File::create(dir.join(format!("{binary}.stdout"))).unwrap();
    let err = File::create(dir.join(format!("{binary}.stderr"))).unwrap();
    let child = Command::new(binary_path(binary))
        .args(args)
        .envs(ns.env())
        .envs(LOG_ENV)
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    ChildProcess {
        name: binary.to_string(),
        child,
    }
}

/// Sends SIGTERM and waits (bounded) for the process to exit, so buffered log lines are out.
fn stop(process: &mut ChildProcess) {
    process.signal("TERM").unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while process.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "{} did not stop on SIGTERM",
            process.name
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// POSTs `body` anonymously or with `bearer`; returns status and body.
async fn post(shop: &Shop, path: &str, body: Value, bearer: Option<&str>) -> (u16, Value) {
    let mut request = shop
        .side
        .http
        .post(format!("{}{path}", shop.side.api(0)))
        .json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Starts processor, API, projector (logins read its `customers` table) and saga, all logging.
async fn start(dir: &Path) -> Shop {
    let ns = TestNamespace::create("log-scan").await.unwrap();
    let processor = spawn_logged(&ns, dir, "agora-processor", &[], &[]);
    let addr = format!("127.0.0.1:{}", free_port().unwrap());
    let api = spawn_logged(
        &ns,
        dir,
        "agora-command-api",
        &["serve"],
        &[
            ("AGORA_COMMAND_ADDR", &addr),
            ("AGORA_COMMAND_TIMEOUT_MS", "20000"),
        ],
    );
    let projector = spawn_logged(&ns, dir, "agora-projector", &["run"], &[]);
    let saga = spawn_logged(&ns, dir, "agora-saga", &[], &[]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = format!("http://{addr}");
    let health = format!("{base}/healthz");
    eventually(Duration::from_secs(30), "the command API to answer", || {
        let request = http.get(&health);
        async move {
            Ok(request
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success()))
        }
    })
    .await
    .unwrap();
    let side = WriteSide {
        token: support::mint_token(&ns).unwrap(),
        ns,
        processors: vec![processor],
        apis: vec![(api, base)],
        http,
    };
    Shop {
        side,
        projector,
        saga,
    }
}

/// Runs the session; returns every token the services handed out.
async fn session(shop: &Shop) -> Vec<String> {
    let mut tokens = vec![shop.side.token.clone()];
    let mut keep = |body: &Value| {
        for name in ["access_token", "refresh_token"] {
            let token = field(body, name);
            assert!(!token.is_empty(), "no {name} in {body}");
            tokens.push(token);
        }
    };
    let product = shop
        .stocked_product("scan-lamp", &[("SCAN-1", 5)])
        .await
        .unwrap();
    let (status, registered) = post(
        shop,
        "/auth/register",
        json!({ "email": EMAIL, "password": PASSWORD, "display_name": "Log Scan" }),
        None,
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    keep(&registered);
    let customer_id = field(&registered, "customer_id");

    // Logins read the projected `customers` table: retry until the account is there.
    let login = json!({ "email": EMAIL, "password": PASSWORD });
    let logged_in = eventually(Duration::from_secs(30), "the login to succeed", || {
        let login = login.clone();
        async move {
            let (status, body) = post(shop, "/auth/login", login, None).await;
            Ok((status == 200).then_some(body))
        }
    })
    .await
    .unwrap();
    keep(&logged_in);
    let (status, body) = post(
        shop,
        "/auth/login",
        json!({ "email": EMAIL, "password": WRONG_PASSWORD }),
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, refreshed) = post(
        shop,
        "/auth/refresh",
        json!({ "refresh_token": field(&logged_in, "refresh_token") }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    keep(&refreshed);

    shop.wait_for_sale(&product).await.unwrap();
    let shopper = Shopper {
        customer_id: customer_id.parse().unwrap(),
        token: field(&refreshed, "access_token"),
    };
    let (status, order) = shop.buy(&shopper, 0, &[("SCAN-1", 2)]).await.unwrap();
    assert_eq!(status, 200, "{order}");
    let (status, paid) = shop
        .call(
            &shopper,
            0,
            Method::POST,
            &format!("/orders/{}/payments", field(&order, "order_id")),
            json!({ "instrument_token": CARD }),
            order["consistency_token"].as_str(),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["payment_status"], "captured", "{paid}");

    let (status, changed) = post(
        shop,
        "/auth/password",
        json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        Some(&shopper.token),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    keep(&changed);
    tokens
}

/// Every captured line of every service, with the file it came from.
fn captured(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        lines.extend(text.lines().map(|line| (path.clone(), line.to_string())));
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_session_at_debug_level_logs_no_password_token_secret_email_or_card() {
    let dir = std::env::temp_dir().join(format!("agora-log-scan-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut shop = start(&dir).await;
    let tokens = session(&shop).await;
    // The API first, so nothing is in flight when the processor and the rest stop.
    stop(&mut shop.side.apis[0].0);
    stop(&mut shop.saga);
    stop(&mut shop.projector);
    stop(&mut shop.side.processors[0]);

    let lines = captured(&dir);
    let mut secrets: Vec<(&str, String)> = vec![
        ("password", PASSWORD.into()),
        ("wrong password", WRONG_PASSWORD.into()),
        ("new password", NEW_PASSWORD.into()),
        ("JWT secret", DEV_SECRET.into()),
        ("e-mail address", EMAIL.into()),
        ("e-mail address (lowercased)", EMAIL.to_lowercase()),
        ("card number", CARD.into()),
    ];
    secrets.extend(tokens.into_iter().map(|t| ("token", t)));
    let leaks: Vec<String> = lines
        .iter()
        .flat_map(|(path, line)| {
            secrets
                .iter()
                .filter(|(_, secret)| line.contains(secret.as_str()))
                .map(move |(what, _)| format!("{what} in {}: {line}", path.display()))
        })
        .collect();
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));

    // The scan means something only if the services really logged the session at debug level.
    let text: String = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!(
        "log scan: {} lines scanned in {}",
        lines.len(),
        dir.display()
    );
    assert!(lines.len() >= 100, "only {} log lines", lines.len());
    let expected = [
        "\"level\":\"DEBUG\"",
        "ClaimEmail",
        "RegisterCustomer",
        "ChangePassword",
        "PlaceOrder",
        "CapturePayment",
        "email-<redacted>",
    ];
    for expected in expected {
        assert!(text.contains(expected), "no {expected} in the logs");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
