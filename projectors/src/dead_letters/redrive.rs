//! `agora-projector dlq redrive`: apply the records behind dead letters to the projections that
//! gave up on them, once the cause is fixed.
//!
//! The record comes from `event_archive` (the archiver holds every record of the events topic
//! at its partition and offset), not from the letter's payload: the archive is the log byte for
//! byte, while a payload is a projection's rendering of it. It is decoded with today's code
//! (upcasters included), so a decoder fix makes an undecodable event re-drivable. A letter about
//! one event re-drives that event; a letter about a whole commit re-drives the commit's events.
//!
//! How a record is applied depends on the projection ([`super::registry`]):
//! - Postgres read models: [`ReadModel::apply`] in one transaction with the letter's row in
//!   `dead_letter_redrives` (see [`super::ledger`]), so it applies at most once.
//! - ClickHouse facts (stock movements, sales facts, raw events): the projection's own row
//!   builders insert the facts while the ledger row waits uncommitted; facts collapse on their
//!   event id, so a re-drive that fails after inserting them and is run again changes nothing.
//!
//! A re-driven record lands on top of the read model as it is now, not where the log put it; a
//! later event of the same stream may already have been applied. `rebuild-check` shows whether
//! the result equals a rebuild from the log.

use std::process::ExitCode;

use clickhouse::Client;
use domain::{
    Aggregate,
    cart::{Cart, CartEvent},
    inventory::{InventoryEvent, InventoryItem},
    order::{Order, OrderEvent},
    payment::{Payment, PaymentEvent},
};
use schemas::{Commit, LogRecord};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    DeadLetterError, LetterKey, ledger,
    list::{self, Entry},
    registry::{Target, known_names, target},
};
use crate::{
    config::Config,
    decode::{Decoded, decode_envelope, is_stream_of},
    error::ProjectorError,
    migrate,
    projections::{
        carts::Carts,
        catalog::Catalog,
        coupons::Coupons,
        customers::Customers,
        event_log::{self, EventLog, EventRow},
        inventory::Inventory,
        orders::Orders,
        payments::Payments,
        sales_facts::SalesFacts,
        stock_movements::StockMovements,
    },
    read_model::ReadModel,
};

/// Why one letter could not be re-driven (it stays pending).
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    /// Its projection has no re-drive.
    #[error("no re-drive for projection {0:?}; re-drivable: {known}", known = known_names())]
    UnknownProjection(String),
    /// It is about another topic than the events topic this projector reads.
    #[error("the letter is about topic {0}, not the events topic of this configuration")]
    OtherTopic(String),
    /// The archiver has not stored the record.
    #[error("the record is not in event_archive (yet); is the archiver running and caught up?")]
    NotArchived,
    /// The record holds no events to apply.
    #[error("the archived record is a {0}, not a counted commit; there is nothing to re-drive")]
    NotACommit(String),
    /// The archived bytes are no log record.
    #[error("the archived record is not a log record: {0}")]
    Unreadable(#[from] serde_json::Error),
    /// The letter names an event the record does not hold.
    #[error("event {0} is not in the archived record")]
    NoSuchEvent(Uuid),
    /// An event still does not decode.
    #[error("event {event_id} still does not decode: {error}")]
    Decode {
        /// The event.
        event_id: Uuid,
        /// Why.
        error: schemas::DecodeError,
    },
    /// The read model still refuses the events.
    #[error("the record still does not apply: {0}")]
    Apply(sqlx::Error),
    /// The stores failed.
    #[error(transparent)]
    Store(#[from] ProjectorError),
}

impl From<sqlx::Error> for RedriveError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

/// What re-driving one letter came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Applied now; the ledger's outcome text.
    Redriven(String),
    /// Someone re-drove it since it was listed: nothing was applied.
    AlreadyRedriven,
}

/// The commit a letter points at, narrowed to the letter's event when it names one.
struct Record {
    partition: i32,
    offset: i64,
    commit: Commit,
}

impl Record {
    /// The events of `A`'s streams, decoded with today's code.
    fn decode<A: Aggregate>(&self) -> Result<Vec<Decoded<A::Event>>, RedriveError> {
        if !is_stream_of::<A>(&self.commit.stream) {
            return Ok(Vec::new());
        }
        self.commit
            .events
            .iter()
            .map(|envelope| {
                decode_envelope::<A>(self.partition, self.offset, envelope).map_err(|error| {
                    RedriveError::Decode {
                        event_id: envelope.event_id,
                        error,
                    }
                })
            })
            .collect()
    }
}

/// What a ClickHouse projection inserts for one record, prepared before anything is written.
enum Facts {
    /// Inventory events for the stock movements.
    Stock(Vec<Decoded<InventoryEvent>>),
    /// Order, payment and cart events for the sales facts.
    Sales(
        Vec<Decoded<OrderEvent>>,
        Vec<Decoded<PaymentEvent>>,
        Vec<Decoded<CartEvent>>,
    ),
    /// Raw event rows (nothing decoded).
    Raw(Vec<EventRow>),
}

impl Facts {
    fn events(&self) -> usize {
        match self {
            Facts::Stock(inventory) => inventory.len(),
            Facts::Sales(orders, payments, carts) => orders.len() + payments.len() + carts.len(),
            Facts::Raw(rows) => rows.len(),
        }
    }
}

fn count(events: usize, what: &str) -> String {
    format!(
        "{what} {events} event{}",
        if events == 1 { "" } else { "s" }
    )
}

/// Re-drives letters into the stores of one log epoch.
pub struct Redriver {
    pool: PgPool,
    clickhouse: Client,
    log_epoch: Uuid,
    events_topic: String,
    stock: Option<StockMovements>,
    sales: Option<SalesFacts>,
}

impl Redriver {
    /// A re-driver over migrated `stores`, for letters about `events_topic`.
    pub fn new(stores: &migrate::Stores, events_topic: String) -> Self {
        Self {
            pool: stores.pool.clone(),
            clickhouse: stores.clickhouse.clone(),
            log_epoch: stores.log_epoch,
            events_topic,
            stock: None,
            sales: None,
        }
    }

    /// Re-drives the letter of `entry` unless the ledger already holds it.
    pub async fn redrive(&mut self, entry: &Entry) -> Result<Done, RedriveError> {
        let key = &entry.key;
        let target = target(&key.projection)
            .ok_or_else(|| RedriveError::UnknownProjection(key.projection.clone()))?;
        if entry.letter.origin_topic != self.events_topic {
            return Err(RedriveError::OtherTopic(entry.letter.origin_topic.clone()));
        }
        let record = self.record(key).await?;
        match target {
            Target::Catalog => self.apply_to_read_model(Catalog, key, &record).await,
            Target::Inventory => self.apply_to_read_model(Inventory, key, &record).await,
            Target::Customers => self.apply_to_read_model(Customers, key, &record).await,
            Target::Carts => self.apply_to_read_model(Carts, key, &record).await,
            Target::Orders => self.apply_to_read_model(Orders, key, &record).await,
            Target::Payments => self.apply_to_read_model(Payments, key, &record).await,
            Target::Coupons => self.apply_to_read_model(Coupons, key, &record).await,
            Target::StockMovements | Target::SalesFacts | Target::EventLog => {
                self.insert_facts(target, key, &record).await
            }
        }
    }

    /// Loads the archived record of `key`.
    async fn record(&self, key: &LetterKey) -> Result<Record, RedriveError> {
        let row: Option<(String, Option<Vec<u8>>)> = sqlx::query_as(
            r#"SELECT kind, value FROM event_archive WHERE partition = $1 AND "offset" = $2"#,
        )
        .bind(key.partition)
        .bind(key.offset)
        .fetch_optional(&self.pool)
        .await?;
        let (kind, value) = row.ok_or(RedriveError::NotArchived)?;
        if kind != "commit" {
            return Err(RedriveError::NotACommit(kind));
        }
        let LogRecord::Commit(mut commit) = serde_json::from_slice(&value.unwrap_or_default())?
        else {
            return Err(RedriveError::NotACommit("record of another type".into()));
        };
        if let Some(event_id) = key.event_id {
            commit
                .events
                .retain(|envelope| envelope.event_id == event_id);
            if commit.events.is_empty() {
                return Err(RedriveError::NoSuchEvent(event_id));
            }
        }
        Ok(Record {
            partition: key.partition,
            offset: key.offset,
            commit,
        })
    }

    /// Applies the record with `model` in one transaction with the ledger row.
    async fn apply_to_read_model<M: ReadModel>(
        &self,
        model: M,
        key: &LetterKey,
        record: &Record,
    ) -> Result<Done, RedriveError> {
        let events = record.decode::<M::Aggregate>()?;
        let outcome = count(events.len(), "applied");
        let mut tx = self.pool.begin().await?;
        if !ledger::claim(&mut tx, self.log_epoch, key, &outcome).await? {
            tx.rollback().await?;
            return Ok(Done::AlreadyRedriven);
        }
        if !events.is_empty()
            && let Err(error) = model.apply(&mut tx, &events).await
        {
            tx.rollback().await?;
            return Err(RedriveError::Apply(error));
        }
        tx.commit().await?;
        Ok(Done::Redriven(outcome))
    }

    /// Inserts the record's facts while the ledger row waits uncommitted.
    async fn insert_facts(
        &mut self,
        target: Target,
        key: &LetterKey,
        record: &Record,
    ) -> Result<Done, RedriveError> {
        // Decode before claiming, so a record that still fails claims nothing.
        let facts = match target {
            Target::StockMovements => Facts::Stock(record.decode::<InventoryItem>()?),
            Target::SalesFacts => Facts::Sales(
                record.decode::<Order>()?,
                record.decode::<Payment>()?,
                record.decode::<Cart>()?,
            ),
            _ => Facts::Raw(event_log::commit_rows(
                record.partition,
                record.offset,
                &record.commit,
            )),
        };
        let outcome = count(facts.events(), "inserted the facts of");
        let mut tx = self.pool.begin().await?;
        if !ledger::claim(&mut tx, self.log_epoch, key, &outcome).await? {
            tx.rollback().await?;
            return Ok(Done::AlreadyRedriven);
        }
        let written = match &facts {
            Facts::Stock(inventory) => self.stock().await?.write(inventory).await,
            Facts::Sales(orders, payments, carts) => {
                self.sales().await?.write(orders, payments, carts).await
            }
            Facts::Raw(rows) => {
                EventLog::new(self.clickhouse.clone(), self.log_epoch)
                    .write(rows)
                    .await
            }
        };
        if let Err(error) = written {
            tx.rollback().await?;
            return Err(error.into());
        }
        tx.commit().await?;
        Ok(Done::Redriven(outcome))
    }

    /// The stock movements projection, with the SKU→product map loaded on first use.
    async fn stock(&mut self) -> Result<&mut StockMovements, ProjectorError> {
        if let Some(stock) = self.stock.take() {
            return Ok(self.stock.insert(stock));
        }
        let mut stock = StockMovements::new(self.clickhouse.clone(), self.log_epoch);
        stock.load_products().await?;
        Ok(self.stock.insert(stock))
    }

    /// The sales facts projection, with placements, initiations and owners loaded on first use.
    async fn sales(&mut self) -> Result<&mut SalesFacts, ProjectorError> {
        if let Some(sales) = self.sales.take() {
            return Ok(self.sales.insert(sales));
        }
        let mut sales = SalesFacts::new(self.clickhouse.clone(), self.log_epoch);
        sales.load_known().await?;
        Ok(self.sales.insert(sales))
    }
}

/// Runs `dlq redrive`: every pending letter of `projection` (all when `None`) about one of
/// `origins` (all when empty).
pub async fn run(
    config: &Config,
    projection: Option<&str>,
    origins: &[(i32, i64)],
) -> Result<ExitCode, DeadLetterError> {
    // The same checks `run` makes: current schema, derived state of the broker's log.
    let (stores, _check) = migrate::migrate(config).await?;
    let listing = list::collect(config, &stores.pool, projection).await?;
    let selected: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|e| origins.is_empty() || origins.contains(&(e.key.partition, e.key.offset)))
        .collect();
    if let Some((partition, offset)) = origins.iter().find(|(partition, offset)| {
        !selected
            .iter()
            .any(|e| e.key.partition == *partition && e.key.offset == *offset)
    }) {
        let of = projection.map_or_else(String::new, |name| format!(" of projection {name}"));
        eprintln!("agora-projector dlq: no dead letter{of} about record {partition}:{offset}");
        return Ok(ExitCode::from(2));
    }
    let pending: Vec<&Entry> = selected
        .iter()
        .copied()
        .filter(|e| e.redriven.is_none())
        .collect();
    let mut already = selected.len() - pending.len();
    let (mut redriven, mut failed) = (0, 0);
    let mut redriver = Redriver::new(&stores, config.kafka.topics().events);
    for entry in pending {
        match redriver.redrive(entry).await {
            Ok(Done::Redriven(outcome)) => {
                redriven += 1;
                tracing::info!(letter = %entry.key, outcome, "dead letter re-driven");
                println!("re-driven {}: {outcome}", entry.key);
            }
            Ok(Done::AlreadyRedriven) => {
                already += 1;
                println!("already re-driven {}", entry.key);
            }
            Err(error) => {
                failed += 1;
                tracing::warn!(letter = %entry.key, error = %error, "dead letter still fails");
                println!("FAILED {}: {error}", entry.key);
            }
        }
    }
    stores.pool.close().await;
    println!("re-driven {redriven}, failed {failed}, already re-driven {already}");
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
