//! Bearer tokens: the ones command-api issues are accepted; tampered, expired, `alg: none`,
//! foreign-audience and non-bearer ones are refused with 401 and `UNAUTHENTICATED`, never
//! downgraded to anonymous; roles decide what products and fields a caller sees.

mod common;

use axum::http::StatusCode;
use common::{
    TestApp,
    commerce::{ALICE, STAFF, mint_with, query_as, query_with, token},
};
use query_api::auth::DEV_SECRET;
use serde_json::{Value, json};

const ME: &str = "{ me { email } }";

/// Status, `WWW-Authenticate`-free body of a request with `authorization`.
async fn refused(app: &TestApp, authorization: &str) -> anyhow::Result<Value> {
    let (status, body) = query_with(app, Some(authorization), ME, json!({})).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    Ok(body)
}

#[tokio::test]
async fn bad_tokens_are_refused_with_a_clear_error_instead_of_reading_as_anonymous()
-> anyhow::Result<()> {
    let app = TestApp::migrated("auth_bad_tokens").await?;
    common::commerce::seed(&app.pool).await?;
    let good = token(ALICE, "customer")?;

    // Tampered: the payload of a customer's token with the role changed, old signature kept.
    let staff = token(ALICE, "staff")?;
    let mut parts: Vec<&str> = good.split('.').collect();
    let staff_payload = staff.split('.').nth(1).unwrap_or_default();
    parts[1] = staff_payload;
    let tampered = parts.join(".");
    // Same claims signed with another secret.
    let forged = mint_with(ALICE, "customer", "agora", 900, "not-the-secret")?;
    let expired = mint_with(ALICE, "customer", "agora", -3600, DEV_SECRET)?;
    let foreign = mint_with(ALICE, "customer", "elsewhere", 900, DEV_SECRET)?;
    // `{"alg":"none","typ":"JWT"}` with the good token's claims and no signature.
    let payload = good.split('.').nth(1).unwrap_or_default();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");

    let cases = [
        ("tampered_signature", format!("Bearer {tampered}")),
        ("other_secret", format!("Bearer {forged}")),
        ("expired", format!("Bearer {expired}")),
        ("alg_none", format!("Bearer {unsigned}")),
        ("wrong_audience", format!("Bearer {foreign}")),
        ("not_bearer", format!("Token {good}")),
        ("garbage", "Bearer garbage".to_string()),
    ];
    for (name, authorization) in cases {
        insta::assert_json_snapshot!(name, refused(&app, &authorization).await?);
    }

    // The untouched token works.
    let me = query_as(&app, &good, ME, json!({})).await?;
    assert_eq!(me, json!({"data": {"me": {"email": "alice@example.com"}}}));
    Ok(())
}

#[tokio::test]
async fn anonymous_callers_must_sign_in_for_their_own_data() -> anyhow::Result<()> {
    let app = TestApp::migrated("auth_anonymous").await?;
    let response = app
        .query(
            "{ me { email } notifications { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    insta::assert_json_snapshot!("anonymous_me", response);
    Ok(())
}

#[tokio::test]
async fn roles_from_the_token_decide_which_products_are_visible() -> anyhow::Result<()> {
    let app = TestApp::seeded("auth_products").await?;
    let draft = "{ product(slug: \"secret-prototype-boot\") { name status } }";

    let staff = query_as(&app, &token(STAFF, "staff")?, draft, json!({})).await?;
    assert_eq!(
        staff,
        json!({"data": {"product": {"name": "Secret Prototype Boot", "status": "DRAFT"}}})
    );
    let admin = query_as(&app, &token(STAFF, "admin")?, draft, json!({})).await?;
    assert_eq!(admin, staff);

    let customer = query_as(&app, &token(ALICE, "customer")?, draft, json!({})).await?;
    assert_eq!(customer["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let listing = "{ products(filter: {status: DRAFT}) { edges { node { name } } } }";
    let customer = query_as(&app, &token(ALICE, "customer")?, listing, json!({})).await?;
    assert_eq!(customer["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let staff = query_as(&app, &token(STAFF, "staff")?, listing, json!({})).await?;
    assert_eq!(
        staff["data"]["products"]["edges"][0]["node"]["name"],
        "Secret Prototype Boot"
    );
    Ok(())
}
