//! The HTTP surface besides GraphQL queries: health, readiness, GraphiQL, and serving on a
//! real socket until shutdown.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{TestApp, config_without_database, get, state_without_database};
use query_api::startup::{Application, router};
use runtime::shutdown::Shutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn healthz_answers_even_without_a_database() -> anyhow::Result<()> {
    let (status, body) = get(router(state_without_database()?), "/healthz").await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    Ok(())
}

#[tokio::test]
async fn readyz_needs_a_reachable_database_with_the_read_models() -> anyhow::Result<()> {
    let (status, body) = get(router(state_without_database()?), "/readyz").await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains(r#""postgres":"unreachable"#), "{body}");

    let empty = TestApp::unmigrated("readyz_empty").await?;
    let (status, body) = get(router(empty.state.clone()), "/readyz").await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("migrations"), "{body}");

    let migrated = TestApp::migrated("readyz_migrated").await?;
    let (status, body) = get(router(migrated.state.clone()), "/readyz").await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""status":"ready""#), "{body}");
    Ok(())
}

#[tokio::test]
async fn graphiql_is_served_only_when_enabled() -> anyhow::Result<()> {
    let mut state = state_without_database()?;
    let (status, _) = get(router(state.clone()), "/graphql").await?;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    state.graphiql = true;
    let (status, body) = get(router(state), "/graphql").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("graphiql"), "not GraphiQL: {body:.200}");
    Ok(())
}

#[tokio::test]
async fn the_application_serves_on_a_free_port_until_shutdown() -> anyhow::Result<()> {
    let application = Application::build(config_without_database()).await?;
    let addr = application.addr();
    assert_ne!(addr.port(), 0);
    let shutdown = Shutdown::new();
    let server = tokio::spawn(application.run_until_stopped(shutdown.clone()));

    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(5), server).await???;
    Ok(())
}
