//! The flash sale: 2,000 buyers for 100 units through two API instances, with and without a
//! processor killed mid-sale. Whatever the interleaving, exactly 100 orders are confirmed and the
//! stock is conserved at every event of the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use futures::{StreamExt, stream};
use runtime::log::{Counted, ItemKind};
use support::{
    audit::{audit_stock, order_outcomes},
    scan_log,
    shop::Shop,
};

async fn flash_sale(label: &str, kill_a_processor: bool) {
    const BUYERS: usize = 2000;
    const UNITS: u32 = 100;
    let mut shop = Shop::start(label, if kill_a_processor { 2 } else { 1 }, 2)
        .await
        .unwrap();
    let product = shop
        .stocked_product(&format!("{label}-drop"), &[("FLASH-1", UNITS)])
        .await
        .unwrap();
    shop.wait_for_sale(&product).await.unwrap();
    let shoppers: Vec<_> = (0..BUYERS).map(|_| shop.shopper()).collect();

    let shop_ref = &shop;
    let sale = stream::iter(shoppers.iter().enumerate())
        .map(|(i, shopper)| async move { shop_ref.buy(shopper, i % 2, &[("FLASH-1", 1)]).await })
        .buffer_unordered(48)
        .collect::<Vec<_>>();
    let chaos = async {
        if kill_a_processor {
            tokio::time::sleep(Duration::from_secs(8)).await;
            shop_ref.side.processors[0].signal("KILL").unwrap();
        }
    };
    let (answers, ()) = tokio::join!(sale, chaos);
    if kill_a_processor {
        shop.side.processors.remove(0);
        shop.side.start_processor().unwrap();
    }
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for answer in &answers {
        let (status, body) = answer.as_ref().unwrap();
        assert!(
            matches!(status, 200 | 202 | 503),
            "unexpected answer {status} {body}"
        );
        *by_status.entry(*status).or_default() += 1;
    }

    // Settle: every placed order ends confirmed or rejected.
    let log = runtime::testing::eventually(
        Duration::from_secs(180),
        "every order to be decided",
        || {
            let ns = shop.side.ns.clone();
            async move {
                let log = scan_log(&ns).await?;
                let outcomes = order_outcomes(&log);
                let undecided = outcomes.values().filter(|s| *s == "placed").count();
                Ok((undecided == 0 && !outcomes.is_empty()).then_some(log))
            }
        },
    )
    .await
    .unwrap();
    let outcomes = order_outcomes(&log);
    let confirmed = outcomes.values().filter(|s| *s == "confirmed").count();
    let rejected = outcomes.values().filter(|s| *s == "rejected").count();
    eprintln!(
        "{label}: answers {by_status:?}; orders {} confirmed {confirmed} rejected {rejected}",
        outcomes.len()
    );
    assert_eq!(
        confirmed, UNITS as usize,
        "exactly as many orders confirmed as units"
    );
    assert_eq!(confirmed + rejected, outcomes.len());
    let (on_hand, reserved) = audit_stock(&log, "FLASH-1");
    assert_eq!(
        (on_hand, reserved),
        (UNITS as i64, UNITS as i64),
        "every unit reserved once"
    );
    let mut all_ids = HashSet::new();
    for item in &log {
        if let ItemKind::Counted(Counted::Commit(commit)) = &item.kind {
            for event in &commit.events {
                assert!(
                    all_ids.insert(event.event_id),
                    "duplicate event id {}",
                    event.event_id
                );
            }
        }
    }
    if !kill_a_processor {
        assert_eq!(outcomes.len(), BUYERS, "every checkout placed one order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flash_sale_of_two_thousand_buyers_for_one_hundred_units_confirms_exactly_one_hundred() {
    flash_sale("flash", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_killed_mid_flash_sale_changes_nothing_in_the_outcome() {
    flash_sale("flash-kill", true).await;
}
