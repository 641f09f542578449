//! Folding a batch of product events into one patch per product and per variant.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use domain::product::{NewVariant, Product, ProductEvent};
use serde_json::Value;
use uuid::Uuid;

use crate::read_model::EventsOf;

/// What a batch changes on one product row; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ProductPatch {
    pub(super) created: bool,
    pub(super) slug: Option<String>,
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) category: Option<String>,
    pub(super) brand: Option<String>,
    pub(super) attributes: Option<Value>,
    pub(super) status: Option<String>,
    pub(super) created_at: Option<DateTime<Utc>>,
    pub(super) updated_at: DateTime<Utc>,
    pub(super) stream_version: i64,
}

/// What a batch changes on one variant row.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VariantPatch {
    pub(super) sku: String,
    pub(super) product_id: Uuid,
    pub(super) added: bool,
    pub(super) name: Option<String>,
    pub(super) price_minor: Option<i64>,
    pub(super) currency: Option<String>,
    pub(super) attributes: Option<Value>,
    pub(super) retired: Option<bool>,
}

#[derive(Debug, Default)]
pub(super) struct Fold {
    pub(super) products: BTreeMap<Uuid, ProductPatch>,
    /// In the order first touched, which gives added variants their positions.
    pub(super) variants: Vec<VariantPatch>,
    pub(super) latest: HashMap<(Uuid, String), usize>,
}

impl Fold {
    /// Products whose variants changed, whose price range must be recomputed.
    pub(super) fn touched_products(&self) -> Vec<Uuid> {
        let mut touched: Vec<Uuid> = self.variants.iter().map(|v| v.product_id).collect();
        touched.sort_unstable();
        touched.dedup();
        touched
    }

    fn add_variant(&mut self, product_id: Uuid, variant: &NewVariant) {
        let sku = variant.sku.as_str().to_string();
        self.latest
            .insert((product_id, sku.clone()), self.variants.len());
        self.variants.push(VariantPatch {
            sku,
            product_id,
            added: true,
            name: Some(variant.name.clone()),
            price_minor: Some(variant.price.amount_minor),
            currency: Some(variant.price.currency.as_str().to_string()),
            attributes: Some(to_json(&variant.attributes)),
            retired: Some(false),
        });
    }

    fn variant(&mut self, product_id: Uuid, sku: &str) -> &mut VariantPatch {
        let key = (product_id, sku.to_string());
        let index = match self.latest.get(&key) {
            Some(index) => *index,
            None => {
                self.variants.push(VariantPatch {
                    sku: sku.to_string(),
                    product_id,
                    added: false,
                    name: None,
                    price_minor: None,
                    currency: None,
                    attributes: None,
                    retired: None,
                });
                self.latest.insert(key, self.variants.len() - 1);
                self.variants.len() - 1
            }
        };
        &mut self.variants[index]
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub(super) fn fold(events: &[EventsOf<Product>]) -> Fold {
    let mut fold = Fold::default();
    for event in events {
        let Ok(product_id) = Uuid::parse_str(event.stream_id()) else {
            continue;
        };
        let patch = fold.products.entry(product_id).or_default();
        patch.updated_at = event.occurred_at;
        patch.stream_version = event.version;
        match &event.event {
            ProductEvent::ProductCreated {
                name,
                slug,
                description,
                category,
                brand,
                attributes,
                variants,
                ..
            } => {
                *patch = ProductPatch {
                    created: true,
                    slug: Some(slug.clone()),
                    name: Some(name.clone()),
                    description: Some(description.clone()),
                    category: Some(category.clone()),
                    brand: Some(brand.clone()),
                    attributes: Some(to_json(attributes)),
                    status: Some("draft".into()),
                    created_at: Some(event.occurred_at),
                    updated_at: event.occurred_at,
                    stream_version: event.version,
                };
                for variant in variants {
                    fold.add_variant(product_id, variant);
                }
            }
            ProductEvent::ProductDetailsUpdated {
                name,
                description,
                category,
                brand,
                attributes,
            } => {
                let fields = [
                    (&mut patch.name, name),
                    (&mut patch.description, description),
                    (&mut patch.category, category),
                    (&mut patch.brand, brand),
                ];
                for (column, value) in fields {
                    if let Some(value) = value {
                        *column = Some(value.clone());
                    }
                }
                if let Some(attributes) = attributes {
                    patch.attributes = Some(to_json(attributes));
                }
            }
            ProductEvent::ProductPublished {} => patch.status = Some("published".into()),
            ProductEvent::ProductUnpublished {} => patch.status = Some("draft".into()),
            ProductEvent::ProductDeleted {} => patch.status = Some("deleted".into()),
            ProductEvent::VariantAdded { variant } => fold.add_variant(product_id, variant),
            ProductEvent::VariantPriceChanged { sku, price, .. } => {
                let variant = fold.variant(product_id, sku.as_str());
                variant.price_minor = Some(price.amount_minor);
                variant.currency = Some(price.currency.as_str().to_string());
            }
            ProductEvent::VariantRetired { sku } => {
                fold.variant(product_id, sku.as_str()).retired = Some(true);
            }
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Decoded;
    use domain::values::{Currency, Money, Sku};

    fn at(product_id: Uuid, version: i64, event: ProductEvent) -> EventsOf<Product> {
        Decoded {
            partition: 1,
            offset: version,
            event_id: Uuid::now_v7(),
            stream: format!("product-{product_id}"),
            version,
            occurred_at: DateTime::from_timestamp(1_700_000_000 + version, 0).unwrap_or_default(),
            event,
        }
    }

    fn variant(sku: &str, amount_minor: i64) -> NewVariant {
        NewVariant {
            sku: Sku::parse(sku).unwrap(),
            name: sku.to_lowercase(),
            price: Money {
                amount_minor,
                currency: Currency::parse("EUR").unwrap(),
            },
            attributes: BTreeMap::new(),
        }
    }

    fn created(product_id: Uuid, variants: Vec<NewVariant>) -> ProductEvent {
        ProductEvent::ProductCreated {
            product_id,
            name: "Trail shoe".into(),
            slug: "trail-shoe".into(),
            description: "Grippy".into(),
            category: "shoes".into(),
            brand: "Acme".into(),
            attributes: BTreeMap::new(),
            variants,
        }
    }

    #[test]
    fn changes_after_creation_in_the_same_batch_land_in_the_insert() {
        let id = Uuid::now_v7();
        let fold = fold(&[
            at(id, 1, created(id, vec![variant("A-1", 100)])),
            at(
                id,
                2,
                ProductEvent::ProductDetailsUpdated {
                    name: Some("Trail shoe 2".into()),
                    description: None,
                    category: None,
                    brand: None,
                    attributes: None,
                },
            ),
            at(id, 3, ProductEvent::ProductPublished {}),
            at(
                id,
                4,
                ProductEvent::VariantPriceChanged {
                    sku: Sku::parse("A-1").unwrap(),
                    previous_price: variant("A-1", 100).price,
                    price: variant("A-1", 90).price,
                },
            ),
        ]);
        let product = &fold.products[&id];
        assert!(product.created);
        assert_eq!(product.name.as_deref(), Some("Trail shoe 2"));
        assert_eq!(product.description.as_deref(), Some("Grippy"));
        assert_eq!(product.status.as_deref(), Some("published"));
        assert_eq!(product.stream_version, 4);
        assert_eq!(fold.variants.len(), 1);
        assert!(fold.variants[0].added);
        assert_eq!(fold.variants[0].price_minor, Some(90));
    }

    #[test]
    fn a_retirement_of_an_earlier_variant_is_an_update_not_an_insert() {
        let id = Uuid::now_v7();
        let fold = fold(&[at(
            id,
            5,
            ProductEvent::VariantRetired {
                sku: Sku::parse("A-2").unwrap(),
            },
        )]);
        assert_eq!(fold.variants.len(), 1);
        assert!(!fold.variants[0].added);
        assert_eq!(fold.variants[0].retired, Some(true));
        assert!(!fold.products[&id].created);
    }
}
