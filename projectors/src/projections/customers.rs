//! Customers: one `customers` row per registered customer, from customer events.
//!
//! A batch loads the current rows of the customers it touches (one query), folds the events
//! into them in memory (the address book needs the entries already there), and writes every
//! changed row back with one upsert. The order statistics (`order_count`,
//! `lifetime_value_minor`) belong to the orders projection; this one only fills them in for the
//! customers it registers, from orders that may already be projected (see
//! [`super::orders::refresh_customer_stats`]).

use std::collections::{BTreeMap, HashMap, hash_map::Entry};

use chrono::{DateTime, Utc};
use domain::{
    customer::{Customer, CustomerEvent, Role},
    values::Address,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read_model::{EventsOf, ReadModel};

/// Checkpoint name.
pub const NAME: &str = "customers";

/// The customers read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Customers;

/// One address book entry as stored in `customers.addresses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressEntry {
    /// Entry id.
    pub address_id: Uuid,
    /// The address.
    #[serde(flatten)]
    pub address: Address,
}

/// The columns this projection owns.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Row {
    customer_id: Uuid,
    email: String,
    display_name: String,
    password_hash: String,
    role: String,
    active: bool,
    addresses: Value,
    default_address_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    stream_version: i64,
}

/// A row being folded: the address book as a map, as the domain keeps it.
#[derive(Debug, Clone, PartialEq)]
struct Folded {
    row: Row,
    addresses: BTreeMap<Uuid, Address>,
    registered: bool,
}

impl Folded {
    fn from_row(row: Row) -> Self {
        let entries: Vec<AddressEntry> =
            serde_json::from_value(row.addresses.clone()).unwrap_or_default();
        let addresses = entries
            .into_iter()
            .map(|entry| (entry.address_id, entry.address))
            .collect();
        Self {
            row,
            addresses,
            registered: false,
        }
    }

    fn into_row(mut self) -> Row {
        let entries: Vec<AddressEntry> = self
            .addresses
            .into_iter()
            .map(|(address_id, address)| AddressEntry {
                address_id,
                address,
            })
            .collect();
        self.row.addresses = serde_json::to_value(entries).unwrap_or(Value::Array(Vec::new()));
        self.row
    }
}

/// The role as stored (`customer`, `staff`, `admin`), the domain's own spelling.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer",
        Role::Staff => "staff",
        Role::Admin => "admin",
    }
}

/// Folds `events` into `rows` (the current rows of the customers they touch). Events of a
/// customer with neither a row nor a registration in the batch are left out: there is nothing
/// to attach them to.
fn fold(mut rows: HashMap<Uuid, Folded>, events: &[EventsOf<Customer>]) -> HashMap<Uuid, Folded> {
    let mut touched: HashMap<Uuid, Folded> = HashMap::new();
    for event in events {
        let Ok(customer_id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if let CustomerEvent::CustomerRegistered {
            email,
            display_name,
            password_hash,
            role,
            ..
        } = &event.event
        {
            let row = Row {
                customer_id,
                email: email.as_str().to_string(),
                display_name: display_name.clone(),
                password_hash: password_hash.clone(),
                role: role_name(*role).to_string(),
                active: true,
                addresses: Value::Array(Vec::new()),
                default_address_id: None,
                created_at: event.occurred_at,
                updated_at: event.occurred_at,
                stream_version: event.version,
            };
            touched.insert(
                customer_id,
                Folded {
                    addresses: BTreeMap::new(),
                    row,
                    registered: true,
                },
            );
            continue;
        }
        let folded = match touched.entry(customer_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match rows.remove(&customer_id) {
                Some(loaded) => entry.insert(loaded),
                None => {
                    tracing::warn!(projection = NAME, stream = %event.stream, version = event.version, "event for a customer never registered; skipped");
                    continue;
                }
            },
        };
        folded.row.updated_at = event.occurred_at;
        folded.row.stream_version = event.version;
        match &event.event {
            CustomerEvent::CustomerRegistered { .. } => {}
            CustomerEvent::ProfileUpdated { display_name } => {
                folded.row.display_name = display_name.clone();
            }
            CustomerEvent::PasswordChanged { password_hash } => {
                folded.row.password_hash = password_hash.clone();
            }
            CustomerEvent::AddressAdded {
                address_id,
                address,
            }
            | CustomerEvent::AddressUpdated {
                address_id,
                address,
            } => {
                folded.addresses.insert(*address_id, address.clone());
            }
            CustomerEvent::AddressRemoved { address_id } => {
                folded.addresses.remove(address_id);
                if folded.row.default_address_id == Some(*address_id) {
                    folded.row.default_address_id = None;
                }
            }
            CustomerEvent::DefaultAddressSet { address_id } => {
                folded.row.default_address_id = Some(*address_id);
            }
            CustomerEvent::RoleChanged { role, .. } => {
                folded.row.role = role_name(*role).to_string();
            }
            CustomerEvent::CustomerDeactivated {} => folded.row.active = false,
        }
    }
    touched
}

/// Ids of the customers `events` touch that were not registered in the same batch.
fn existing_ids(events: &[EventsOf<Customer>]) -> Vec<Uuid> {
    let mut registered = Vec::new();
    let mut ids = Vec::new();
    for event in events {
        let Ok(id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        if matches!(event.event, CustomerEvent::CustomerRegistered { .. }) {
            registered.push(id);
        } else if !registered.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[derive(Default)]
struct Columns {
    customer_id: Vec<Uuid>,
    email: Vec<String>,
    display_name: Vec<String>,
    password_hash: Vec<String>,
    role: Vec<String>,
    active: Vec<bool>,
    addresses: Vec<Value>,
    default_address_id: Vec<Option<Uuid>>,
    created_at: Vec<DateTime<Utc>>,
    updated_at: Vec<DateTime<Utc>>,
    stream_version: Vec<i64>,
}

impl Columns {
    fn push(&mut self, row: Row) {
        self.customer_id.push(row.customer_id);
        self.email.push(row.email);
        self.display_name.push(row.display_name);
        self.password_hash.push(row.password_hash);
        self.role.push(row.role);
        self.active.push(row.active);
        self.addresses.push(row.addresses);
        self.default_address_id.push(row.default_address_id);
        self.created_at.push(row.created_at);
        self.updated_at.push(row.updated_at);
        self.stream_version.push(row.stream_version);
    }
}

const LOAD: &str = "
    SELECT customer_id, email, display_name, password_hash, role, active, addresses,
           default_address_id, created_at, updated_at, stream_version
    FROM customers WHERE customer_id = ANY($1)";

/// Writes whole rows; the order statistics are left to the orders projection.
const UPSERT: &str = "
    INSERT INTO customers (customer_id, email, display_name, password_hash, role, active,
                           addresses, default_address_id, created_at, updated_at, stream_version)
    SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::boolean[], $7::jsonb[], $8::uuid[], $9::timestamptz[],
                         $10::timestamptz[], $11::bigint[])
    ON CONFLICT (customer_id) DO UPDATE SET
        email = EXCLUDED.email,
        display_name = EXCLUDED.display_name,
        password_hash = EXCLUDED.password_hash,
        role = EXCLUDED.role,
        active = EXCLUDED.active,
        addresses = EXCLUDED.addresses,
        default_address_id = EXCLUDED.default_address_id,
        created_at = EXCLUDED.created_at,
        updated_at = EXCLUDED.updated_at,
        stream_version = EXCLUDED.stream_version";

impl ReadModel for Customers {
    const NAME: &'static str = NAME;
    type Aggregate = Customer;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[EventsOf<Customer>],
    ) -> Result<(), sqlx::Error> {
        // The statistics come from `orders`; see `orders::lock_checkout_models`.
        super::orders::lock_checkout_models(&mut *conn).await?;
        let ids = existing_ids(events);
        let rows: Vec<Row> = if ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query_as(LOAD)
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?
        };
        let rows = rows
            .into_iter()
            .map(|row| (row.customer_id, Folded::from_row(row)))
            .collect();
        let mut registered = Vec::new();
        let mut columns = Columns::default();
        let mut touched: Vec<(Uuid, Folded)> = fold(rows, events).into_iter().collect();
        touched.sort_by_key(|(id, _)| *id);
        for (id, folded) in touched {
            if folded.registered {
                registered.push(id);
            }
            columns.push(folded.into_row());
        }
        if columns.customer_id.is_empty() {
            return Ok(());
        }
        sqlx::query(UPSERT)
            .bind(&columns.customer_id)
            .bind(&columns.email)
            .bind(&columns.display_name)
            .bind(&columns.password_hash)
            .bind(&columns.role)
            .bind(&columns.active)
            .bind(&columns.addresses)
            .bind(&columns.default_address_id)
            .bind(&columns.created_at)
            .bind(&columns.updated_at)
            .bind(&columns.stream_version)
            .execute(&mut *conn)
            .await?;
        super::orders::refresh_customer_stats(&mut *conn, &registered).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::values::Email;

    fn at(id: Uuid, version: i64, event: CustomerEvent) -> EventsOf<Customer> {
        Decoded {
            partition: 0,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: format!("customer-{id}"),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    fn address(city: &str) -> Address {
        Address {
            recipient: "Ada".into(),
            line1: "1 Main St".into(),
            line2: String::new(),
            city: city.into(),
            postal_code: "10115".into(),
            region: String::new(),
            country: "DE".into(),
        }
    }

    #[test]
    fn a_registration_and_later_changes_in_one_batch_become_one_new_row() {
        let id = Uuid::now_v7();
        let home = Uuid::now_v7();
        let events = vec![
            at(
                id,
                1,
                CustomerEvent::CustomerRegistered {
                    customer_id: id,
                    email: Email::parse("Ada@Example.com").unwrap(),
                    display_name: "Ada".into(),
                    password_hash: "hash-1".into(),
                    role: Role::Customer,
                },
            ),
            at(
                id,
                2,
                CustomerEvent::AddressAdded {
                    address_id: home,
                    address: address("Berlin"),
                },
            ),
            at(id, 3, CustomerEvent::DefaultAddressSet { address_id: home }),
            at(
                id,
                4,
                CustomerEvent::RoleChanged {
                    previous_role: Role::Customer,
                    role: Role::Staff,
                },
            ),
        ];
        assert!(existing_ids(&events).is_empty());
        let folded = fold(HashMap::new(), &events).remove(&id).unwrap();
        assert!(folded.registered);
        let row = folded.into_row();
        assert_eq!(row.email, "ada@example.com");
        assert_eq!(row.role, "staff");
        assert_eq!(row.default_address_id, Some(home));
        assert_eq!(row.stream_version, 4);
        assert_eq!(row.created_at, events[0].occurred_at);
        assert_eq!(row.updated_at, events[3].occurred_at);
        let entries: Vec<AddressEntry> = serde_json::from_value(row.addresses).unwrap();
        assert_eq!(
            entries,
            vec![AddressEntry {
                address_id: home,
                address: address("Berlin")
            }]
        );
    }

    #[test]
    fn removing_the_default_address_leaves_no_default() {
        let id = Uuid::now_v7();
        let home = Uuid::now_v7();
        let row = Row {
            customer_id: id,
            email: "ada@example.com".into(),
            display_name: "Ada".into(),
            password_hash: "h".into(),
            role: "customer".into(),
            active: true,
            addresses: serde_json::to_value(vec![AddressEntry {
                address_id: home,
                address: address("Berlin"),
            }])
            .unwrap(),
            default_address_id: Some(home),
            created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            updated_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            stream_version: 3,
        };
        let events = vec![
            at(id, 4, CustomerEvent::AddressRemoved { address_id: home }),
            at(id, 5, CustomerEvent::CustomerDeactivated {}),
        ];
        assert_eq!(existing_ids(&events), vec![id]);
        let rows = HashMap::from([(id, Folded::from_row(row))]);
        let folded = fold(rows, &events).remove(&id).unwrap();
        assert!(!folded.registered);
        let row = folded.into_row();
        assert_eq!(row.default_address_id, None);
        assert_eq!(row.addresses, serde_json::json!([]));
        assert!(!row.active);
    }
}
