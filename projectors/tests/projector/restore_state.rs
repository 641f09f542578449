//! Every aggregate's state folded from a log, so a restored log can be shown to hold the same
//! business state as the original, not only the same bytes and read models: each counted
//! commit (under the log rules, through the shared reader) is decoded and folded with the
//! domain's own `Aggregate::evolve`, exactly as a command processor hydrates its streams.

use std::{collections::BTreeMap, time::Duration};

use domain::{
    Aggregate, cart::Cart, coupon::Coupon, customer::Customer, email_claim::EmailClaim,
    inventory::InventoryItem, order::Order, payment::Payment, product::Product,
};
use runtime::{
    log::{Counted, ItemKind, LogReader, PartitionStart},
    testing::TestNamespace,
};
use schemas::EventEnvelope;

/// Every stream's state and version, by aggregate kind and stream id.
#[derive(Debug, Default, PartialEq)]
pub struct Aggregates {
    carts: BTreeMap<String, (u64, Cart)>,
    coupons: BTreeMap<String, (u64, Coupon)>,
    customers: BTreeMap<String, (u64, Customer)>,
    email_claims: BTreeMap<String, (u64, EmailClaim)>,
    inventory: BTreeMap<String, (u64, InventoryItem)>,
    orders: BTreeMap<String, (u64, Order)>,
    payments: BTreeMap<String, (u64, Payment)>,
    products: BTreeMap<String, (u64, Product)>,
    /// Counted commits and rejections, and zombie writes skipped.
    pub counted: usize,
    pub zombies: usize,
}

impl Aggregates {
    /// Number of streams folded.
    pub fn streams(&self) -> usize {
        self.carts.len()
            + self.coupons.len()
            + self.customers.len()
            + self.email_claims.len()
            + self.inventory.len()
            + self.orders.len()
            + self.payments.len()
            + self.products.len()
    }

    fn apply(&mut self, envelope: &EventEnvelope) {
        match domain::stream::kind_of(&envelope.stream) {
            Some(domain::cart::KIND) => fold(&mut self.carts, envelope),
            Some(domain::coupon::KIND) => fold(&mut self.coupons, envelope),
            Some(domain::customer::KIND) => fold(&mut self.customers, envelope),
            Some(domain::email_claim::KIND) => fold(&mut self.email_claims, envelope),
            Some(domain::inventory::KIND) => fold(&mut self.inventory, envelope),
            Some(domain::order::KIND) => fold(&mut self.orders, envelope),
            Some(domain::payment::KIND) => fold(&mut self.payments, envelope),
            Some(domain::product::KIND) => fold(&mut self.products, envelope),
            _ => panic!("event of an unknown stream kind: {}", envelope.stream),
        }
    }
}

fn fold<A: Aggregate>(streams: &mut BTreeMap<String, (u64, A)>, envelope: &EventEnvelope) {
    let event = schemas::decode_event::<A>(envelope).expect("a counted event decodes");
    let (version, state) = streams.entry(envelope.stream.clone()).or_default();
    assert_eq!(
        envelope.version,
        *version + 1,
        "{} has a gap",
        envelope.stream
    );
    *version = envelope.version;
    *state = std::mem::take(state).evolve(&event);
}

/// Folds every stream of `ns`'s events log, which holds `ends[p]` records in partition `p`.
pub async fn aggregates(ns: &TestNamespace, ends: &[i64]) -> Aggregates {
    let topic = ns.kafka.topics().events;
    let starts: Vec<PartitionStart> = (0..ends.len() as i32)
        .map(PartitionStart::beginning)
        .collect();
    let mut reader = LogReader::open(&ns.kafka, &topic, &starts).unwrap();
    let mut folded = Aggregates::default();
    let total: i64 = ends.iter().sum();
    for _ in 0..total {
        let item = tokio::time::timeout(Duration::from_secs(30), reader.next())
            .await
            .expect("the log holds every record it should")
            .unwrap();
        match item.kind {
            ItemKind::Counted(Counted::Commit(commit)) => {
                folded.counted += 1;
                commit.events.iter().for_each(|e| folded.apply(e));
            }
            ItemKind::Counted(Counted::Rejection(_)) => folded.counted += 1,
            ItemKind::Zombie { .. } => folded.zombies += 1,
            ItemKind::Marker { .. } | ItemKind::Poison { .. } => {}
            ItemKind::Elsewhere { aggregate } => {
                panic!("this reader decodes every aggregate, yet skipped a {aggregate} commit")
            }
        }
    }
    for (partition, end) in ends.iter().enumerate() {
        let position = reader.position(partition as i32).unwrap();
        assert_eq!(
            position.next_offset, *end,
            "partition {partition} read to its end"
        );
    }
    folded
}
