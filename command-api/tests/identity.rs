//! Identity against the real stack: registration, login, refresh rotation, logout, login
//! throttling and roles, with the processor, the API and the projector as real processes.
//!
//! Build the binaries first: `cargo build -p command-api -p projectors --bins`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Method;
use serde_json::json;
use support::identity::{IdentityStack, field};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_survives_refresh_and_ends_with_logout_while_reused_tokens_end_every_session() {
    let stack = IdentityStack::start("identity-session").await.unwrap();
    let registered = stack
        .register("Ada@Example.com", "correct horse battery")
        .await
        .unwrap();
    let customer_id = field(&registered, "customer_id");
    assert!(!field(&registered, "access_token").is_empty());
    assert!(!field(&registered, "refresh_token").is_empty());
    assert_eq!(registered["expires_in"], 900);
    assert!(field(&registered, "consistency_token").starts_with("v1."));

    // The address is taken, whatever its spelling.
    let duplicate = stack
        .post(
            "/auth/register",
            json!({ "email": " ada@EXAMPLE.com", "password": "another password",
                    "display_name": "Impostor" }),
        )
        .await
        .unwrap();
    assert_eq!(duplicate.status, 409, "{duplicate:?}");
    assert_eq!(duplicate.body["error"]["code"], "email_taken");

    stack
        .wait_for_account(&customer_id, "customer", true)
        .await
        .unwrap();
    let login = stack
        .login("ada@example.com", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(field(&login.body, "customer_id"), customer_id);
    let first = field(&login.body, "refresh_token");

    // The access token works on an authenticated endpoint.
    let profile = stack
        .call(
            Method::PATCH,
            "/me/profile",
            json!({ "display_name": "Ada L." }),
            Some(&field(&login.body, "access_token")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(profile.status, 200, "{profile:?}");

    let access = field(&login.body, "access_token");
    let added = stack
        .call(
            Method::POST,
            "/me/addresses",
            address("1 Analytical Row"),
            Some(&access),
            None,
        )
        .await
        .unwrap();
    assert_eq!(added.status, 200, "{added:?}");
    let address_id = field(&added.body, "address_id");
    let path = format!("/me/addresses/{address_id}");
    for (method, path, body) in [
        (Method::PUT, path.clone(), address("2 Analytical Row")),
        (Method::POST, format!("{path}/default"), json!({})),
        (Method::DELETE, path.clone(), json!({})),
    ] {
        let answer = stack
            .call(method, &path, body, Some(&access), None)
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
    }
    let gone = stack
        .call(Method::DELETE, &path, json!({}), Some(&access), None)
        .await
        .unwrap();
    assert_eq!(gone.status, 404, "{gone:?}");

    let refreshed = stack
        .post("/auth/refresh", json!({ "refresh_token": first }))
        .await
        .unwrap();
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let second = field(&refreshed.body, "refresh_token");
    assert_ne!(second, first);

    let logout = stack
        .post("/auth/logout", json!({ "refresh_token": second }))
        .await
        .unwrap();
    assert_eq!(logout.status, 204);
    let after_logout = stack
        .post("/auth/refresh", json!({ "refresh_token": second }))
        .await
        .unwrap();
    assert_eq!(after_logout.status, 401, "{after_logout:?}");
    assert_eq!(after_logout.body["error"]["code"], "invalid_refresh_token");

    // Reuse of a spent token revokes the live one too.
    let live = field(
        &stack
            .login("ada@example.com", "correct horse battery")
            .await
            .unwrap()
            .body,
        "refresh_token",
    );
    let reused = stack
        .post("/auth/refresh", json!({ "refresh_token": first }))
        .await
        .unwrap();
    assert_eq!(reused.status, 401, "{reused:?}");
    let revoked = stack
        .post("/auth/refresh", json!({ "refresh_token": live }))
        .await
        .unwrap();
    assert_eq!(revoked.status, 401, "{revoked:?}");
}

fn address(line1: &str) -> serde_json::Value {
    json!({ "recipient": "Ada Lovelace", "line1": line1, "city": "London",
            "postal_code": "N1", "country": "GB" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_registration_is_the_same_account_and_a_password_change_ends_old_sessions() {
    let stack = IdentityStack::start("identity-password").await.unwrap();
    let body = json!({ "email": "dora@example.com", "password": "first password",
                       "display_name": "Dora" });
    let first = stack
        .call(
            Method::POST,
            "/auth/register",
            body.clone(),
            None,
            Some("signup-1"),
        )
        .await
        .unwrap();
    let retry = stack
        .call(Method::POST, "/auth/register", body, None, Some("signup-1"))
        .await
        .unwrap();
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(retry.status, 201, "{retry:?}");
    let customer_id = field(&first.body, "customer_id");
    assert_eq!(field(&retry.body, "customer_id"), customer_id);
    let other_password = stack
        .call(
            Method::POST,
            "/auth/register",
            json!({ "email": "dora@example.com", "password": "other password",
                    "display_name": "Dora" }),
            None,
            Some("signup-1"),
        )
        .await
        .unwrap();
    assert_eq!(other_password.status, 422, "{other_password:?}");

    stack
        .wait_for_account(&customer_id, "customer", true)
        .await
        .unwrap();
    let old_hash = stack.password_hash(&customer_id).await.unwrap();
    let wrong = stack
        .call(
            Method::POST,
            "/auth/password",
            json!({ "current_password": "not my password", "new_password": "second password" }),
            Some(&field(&first.body, "access_token")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 401, "{wrong:?}");
    let changed = stack
        .call(
            Method::POST,
            "/auth/password",
            json!({ "current_password": "first password", "new_password": "second password" }),
            Some(&field(&first.body, "access_token")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(changed.status, 200, "{changed:?}");
    let old_session = stack
        .post(
            "/auth/refresh",
            json!({ "refresh_token": field(&first.body, "refresh_token") }),
        )
        .await
        .unwrap();
    assert_eq!(old_session.status, 401, "{old_session:?}");
    let new_session = stack
        .post(
            "/auth/refresh",
            json!({ "refresh_token": field(&changed.body, "refresh_token") }),
        )
        .await
        .unwrap();
    assert_eq!(new_session.status, 200, "{new_session:?}");

    stack
        .wait_for_password_change(&customer_id, &old_hash)
        .await
        .unwrap();
    let with_old = stack
        .login("dora@example.com", "first password")
        .await
        .unwrap();
    assert_eq!(with_old.status, 401, "{with_old:?}");
    let with_new = stack
        .login("dora@example.com", "second password")
        .await
        .unwrap();
    assert_eq!(with_new.status, 200, "{with_new:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_refused_and_repeated_failures_are_throttled() {
    let stack = IdentityStack::start("identity-throttle").await.unwrap();
    let registered = stack
        .register("bob@example.com", "bobs real password")
        .await
        .unwrap();
    stack
        .wait_for_account(&field(&registered, "customer_id"), "customer", true)
        .await
        .unwrap();

    let unknown = stack
        .login("nobody@example.com", "bobs real password")
        .await
        .unwrap();
    let wrong = stack
        .login("bob@example.com", "not the password")
        .await
        .unwrap();
    assert_eq!(unknown.status, 401, "{unknown:?}");
    assert_eq!(wrong.status, 401, "{wrong:?}");
    // Unknown address and wrong password are indistinguishable.
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(wrong.body["error"]["code"], "invalid_credentials");

    for _ in 1..5 {
        let answer = stack
            .login("bob@example.com", "still not it")
            .await
            .unwrap();
        assert_eq!(answer.status, 401, "{answer:?}");
    }
    // Five failures: even the right password waits now.
    let throttled = stack
        .login("bob@example.com", "bobs real password")
        .await
        .unwrap();
    assert_eq!(throttled.status, 429, "{throttled:?}");
    assert_eq!(throttled.body["error"]["code"], "too_many_attempts");
    let retry_after: u64 = throttled.retry_after.unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");

    // Another account is not affected.
    let other = stack
        .login("nobody-else@example.com", "whatever it is")
        .await
        .unwrap();
    assert_eq!(other.status, 401, "{other:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_staff_deactivate_and_only_an_admin_created_by_the_cli_changes_roles() {
    let stack = IdentityStack::start("identity-roles").await.unwrap();
    let customer = stack
        .register("carol@example.com", "carols password")
        .await
        .unwrap();
    let customer_id = field(&customer, "customer_id");
    let customer_token = field(&customer, "access_token");

    let deactivate = stack
        .call(
            Method::POST,
            &format!("/customers/{customer_id}/deactivate"),
            json!({}),
            Some(&customer_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(deactivate.status, 403, "{deactivate:?}");
    let promote_self = stack
        .call(
            Method::PUT,
            &format!("/customers/{customer_id}/role"),
            json!({ "role": "admin" }),
            Some(&customer_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(promote_self.status, 403, "{promote_self:?}");
    let create_product = stack
        .call(
            Method::POST,
            "/products",
            json!({}),
            Some(&customer_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(create_product.status, 403, "{create_product:?}");

    let created = stack
        .create_admin("root@example.com", "admin password")
        .unwrap();
    let admin_id = created.rsplit(' ').next().unwrap().to_string();
    assert!(created.starts_with("created admin"), "{created}");
    let again = stack
        .create_admin("root@example.com", "admin password")
        .unwrap();
    assert!(again.starts_with("account exists"), "{again}");
    assert!(again.ends_with(&admin_id), "{again}");

    stack
        .wait_for_account(&admin_id, "admin", true)
        .await
        .unwrap();
    let admin = stack
        .login("root@example.com", "admin password")
        .await
        .unwrap();
    assert_eq!(admin.status, 200, "{admin:?}");
    assert_eq!(admin.body["role"], "admin");
    let promote = stack
        .call(
            Method::PUT,
            &format!("/customers/{customer_id}/role"),
            json!({ "role": "staff" }),
            Some(&field(&admin.body, "access_token")),
            Some("promote-carol"),
        )
        .await
        .unwrap();
    assert_eq!(promote.status, 200, "{promote:?}");

    // The new role reaches Carol's next access token.
    stack
        .wait_for_account(&customer_id, "staff", true)
        .await
        .unwrap();
    let refreshed = stack
        .post(
            "/auth/refresh",
            json!({ "refresh_token": field(&customer, "refresh_token") }),
        )
        .await
        .unwrap();
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    assert_eq!(refreshed.body["role"], "staff");

    // Staff may deactivate customers, but not an admin; the admin may deactivate staff.
    let staff_token = field(&refreshed.body, "access_token");
    let lock_out_admin = stack
        .call(
            Method::POST,
            &format!("/customers/{admin_id}/deactivate"),
            json!({}),
            Some(&staff_token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(lock_out_admin.status, 403, "{lock_out_admin:?}");
    let deactivated = stack
        .call(
            Method::POST,
            &format!("/customers/{customer_id}/deactivate"),
            json!({}),
            Some(&field(&admin.body, "access_token")),
            None,
        )
        .await
        .unwrap();
    assert_eq!(deactivated.status, 200, "{deactivated:?}");
    let refresh_after = stack
        .post(
            "/auth/refresh",
            json!({ "refresh_token": field(&refreshed.body, "refresh_token") }),
        )
        .await
        .unwrap();
    assert_eq!(refresh_after.status, 401, "{refresh_after:?}");
    stack
        .wait_for_account(&customer_id, "staff", false)
        .await
        .unwrap();
    let login = stack
        .login("carol@example.com", "carols password")
        .await
        .unwrap();
    assert_eq!(login.status, 403, "{login:?}");
    assert_eq!(login.body["error"]["code"], "account_deactivated");
}
