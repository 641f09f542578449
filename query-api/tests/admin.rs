//! The admin schema: staff reads orders (filters, totals), customers, stock and reservations,
//! coupons and their use, re-driven dead letters, projection status and sales analytics from
//! ClickHouse; customers and anonymous callers are refused.

mod common;

use clickhouse::{Client, Compression};
use common::{
    TestApp,
    commerce::{ALICE, BOB, STAFF, query_as, token},
    data,
};
use serde_json::json;

const ADMIN: &str = r#"
query Admin($filter: OrderFilter) {
  admin {
    orders(filter: $filter) {
      totalCount
      totals { orders total { formatted } paid { formatted } refunded { formatted } }
      edges { node { id status placedAt total { formatted } customer { email }
                     lines { sku quantity } } }
    }
    customers(emailPrefix: "ALI") { edges { node { id email role orderCount } } }
    lowStock(first: 3) {
      edges { node { inventory { sku available lowStockThreshold } } }
      pageInfo { hasNextPage }
    }
    stock(sku: "SNK-40") {
      inventory { sku onHand reserved }
      reservations { orderId line quantity orderStatus placedAt }
    }
    coupons {
      edges { node { code kind value redemptionCount globalLimit perCustomerLimit active
                     redemptions { orderId customerId status discountMinor } } }
    }
    deadLetterRedrives { projection partition offset eventId outcome redrivenAt }
    projections { projection checkpoints { partition nextOffset ownerEpoch updatedAt } }
    projectionVersions { unit generation codeVersion switchedAt }
  }
}"#;

async fn app(label: &str) -> anyhow::Result<TestApp> {
    let app = TestApp::seeded(label).await?;
    common::commerce::seed(&app.pool).await?;
    Ok(app)
}

#[tokio::test]
async fn staff_reads_the_admin_schema() -> anyhow::Result<()> {
    let app = app("admin_staff").await?;
    let staff = token(STAFF, "staff")?;
    let all = query_as(&app, &staff, ADMIN, json!({})).await?;
    data(&all)?;
    insta::assert_json_snapshot!("admin_overview", all);

    let open = query_as(
        &app,
        &staff,
        ADMIN,
        json!({"filter": {"statuses": ["confirmed", "paid"],
                          "placedFrom": "2024-05-02T00:00:00Z",
                          "placedBefore": "2024-05-05T00:00:00Z"}}),
    )
    .await?;
    let orders = &data(&open)?["admin"]["orders"];
    assert_eq!(orders["totalCount"], 1);
    assert_eq!(orders["totals"][0]["total"]["formatted"], "120.42 EUR");

    let bobs = query_as(&app, &staff, ADMIN, json!({"filter": {"customerId": BOB}})).await?;
    assert_eq!(data(&bobs)?["admin"]["orders"]["totalCount"], 1);

    let unknown = query_as(
        &app,
        &staff,
        ADMIN,
        json!({"filter": {"statuses": ["lost"]}}),
    )
    .await?;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // Admins see what staff sees.
    let admin = query_as(&app, &token(STAFF, "admin")?, ADMIN, json!({})).await?;
    assert_eq!(admin, all);
    Ok(())
}

#[tokio::test]
async fn customers_and_anonymous_callers_are_refused_the_admin_schema() -> anyhow::Result<()> {
    let app = app("admin_refused").await?;
    let query = "{ admin { customers { edges { node { email } } } } }";
    let statements = app.statements();
    let customer = query_as(&app, &token(ALICE, "customer")?, query, json!({})).await?;
    insta::assert_json_snapshot!("customer_refused", customer);
    let anonymous = app.query(query, json!({})).await?;
    insta::assert_json_snapshot!("anonymous_refused", anonymous);
    // Nothing below `admin` ran.
    assert_eq!(app.statements(), statements);
    Ok(())
}

/// The projector's ClickHouse DDL applied in the test's own ClickHouse database.
async fn clickhouse(app: &TestApp) -> anyhow::Result<Client> {
    let client = Client::default()
        .with_url(&app.config.clickhouse_url)
        .with_database(&app.config.clickhouse_database)
        .with_validation(false)
        .with_compression(Compression::None);
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../projectors/clickhouse"
    ));
    let mut files: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    files.sort_by_key(|entry| entry.file_name());
    for file in files {
        let ddl: String = std::fs::read_to_string(file.path())?
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in ddl.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            client.query(statement).execute().await?;
        }
    }
    Ok(client)
}

/// The sales facts of the commerce fixtures, as the projector would write them.
const FACTS: [&str; 3] = [
    "INSERT INTO order_line_facts VALUES
       ('00000000-0000-0000-0000-00000000f001', '2024-05-02 12:00:00', '00000000-0000-0000-0000-000000000a01', '00000000-0000-0000-0000-0000000a11ce', 1, 'SCARF-RED', '00000000-0000-0000-0000-000000000001', 2, 2990, 5980, 'EUR'),
       ('00000000-0000-0000-0000-00000000f001', '2024-05-02 12:00:00', '00000000-0000-0000-0000-000000000a01', '00000000-0000-0000-0000-0000000a11ce', 2, 'SNK-42', '00000000-0000-0000-0000-000000000002', 1, 7400, 7400, 'EUR'),
       ('00000000-0000-0000-0000-00000000f002', '2024-05-05 09:00:00', '00000000-0000-0000-0000-000000000a02', '00000000-0000-0000-0000-0000000a11ce', 1, 'SNK-40', '00000000-0000-0000-0000-000000000002', 1, 6900, 6900, 'EUR'),
       ('00000000-0000-0000-0000-00000000f003', '2024-05-03 15:00:00', '00000000-0000-0000-0000-000000000b01', '00000000-0000-0000-0000-000000000b0b', 1, 'TEE-M', '00000000-0000-0000-0000-000000000003', 1, 1990, 1990, 'EUR')",
    "INSERT INTO order_facts VALUES
       ('00000000-0000-0000-0000-00000000f001', '2024-05-02 12:00:00', '00000000-0000-0000-0000-000000000a01', '00000000-0000-0000-0000-0000000a11ce', 'placed', 13380, 1338, 12042, 12042, 'EUR', 1, 0, 10),
       ('00000000-0000-0000-0000-00000000f011', '2024-05-02 13:00:00', '00000000-0000-0000-0000-000000000a01', '00000000-0000-0000-0000-0000000a11ce', 'paid', 13380, 1338, 12042, 12042, 'EUR', 3, 0, 12),
       ('00000000-0000-0000-0000-00000000f002', '2024-05-05 09:00:00', '00000000-0000-0000-0000-000000000a02', '00000000-0000-0000-0000-0000000a11ce', 'placed', 6900, 0, 6900, 6900, 'EUR', 1, 1, 20),
       ('00000000-0000-0000-0000-00000000f003', '2024-05-03 15:00:00', '00000000-0000-0000-0000-000000000b01', '00000000-0000-0000-0000-000000000b0b', 'placed', 1990, 0, 1990, 1990, 'EUR', 1, 2, 30)",
    "INSERT INTO cart_facts VALUES
       ('00000000-0000-0000-0000-00000000c001', '2024-05-01 08:00:00', '00000000-0000-0000-0000-000000000d01', '00000000-0000-0000-0000-0000000a11ce', 'created', '', '00000000-0000-0000-0000-000000000000', 0, 0, 0, ''),
       ('00000000-0000-0000-0000-00000000c002', '2024-05-02 08:00:00', '00000000-0000-0000-0000-000000000d02', '00000000-0000-0000-0000-000000000000', 'created', '', '00000000-0000-0000-0000-000000000000', 0, 0, 0, ''),
       ('00000000-0000-0000-0000-00000000c003', '2024-05-03 08:00:00', '00000000-0000-0000-0000-000000000d03', '00000000-0000-0000-0000-000000000b0b', 'created', '', '00000000-0000-0000-0000-000000000000', 0, 0, 0, '')",
];

const ANALYTICS: &str = r#"
query Sales($from: NaiveDate!, $to: NaiveDate!) {
  admin {
    analytics {
      salesByDay(from: $from, to: $to) { day orders units revenue { formatted } }
      topProducts(from: $from, to: $to, first: 2) { productId units revenue { formatted } }
      salesByCategory(from: $from, to: $to) { category units revenue { formatted } }
      funnel(from: $from, to: $to) {
        cartsCreated ordersPlaced ordersPaid
        days { day cartsCreated ordersPlaced ordersPaid }
      }
      averageOrderValue(from: $from, to: $to) {
        paidOrders revenue { formatted } average { formatted }
      }
    }
  }
}"#;

#[tokio::test]
async fn staff_reads_sales_analytics_from_clickhouse_counting_replayed_facts_once()
-> anyhow::Result<()> {
    let app = app("admin_analytics").await?;
    let client = clickhouse(&app).await?;
    // Every fact twice, as after a projector crash between facts and position.
    for _ in 0..2 {
        for insert in FACTS {
            client.query(insert).execute().await?;
        }
    }
    let staff = token(STAFF, "staff")?;
    let may = json!({"from": "2024-05-01", "to": "2024-05-31"});
    let sales = query_as(&app, &staff, ANALYTICS, may).await?;
    data(&sales)?;
    insta::assert_json_snapshot!("sales_may", sales);

    // Ranges are inclusive and checked.
    let one_day = query_as(
        &app,
        &staff,
        ANALYTICS,
        json!({"from": "2024-05-03", "to": "2024-05-03"}),
    )
    .await?;
    assert_eq!(
        data(&one_day)?["admin"]["analytics"]["salesByDay"],
        json!([{"day": "2024-05-03", "orders": 1, "units": 1, "revenue": {"formatted": "19.90 EUR"}}])
    );
    let backwards = query_as(
        &app,
        &staff,
        ANALYTICS,
        json!({"from": "2024-05-31", "to": "2024-05-01"}),
    )
    .await?;
    assert_eq!(
        backwards["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    Ok(())
}
