//! The generated shop: every aggregate's streams, plus the catalog, shoppers and coupons the
//! journeys pick from, and the opening of the shop (products with variants, SKUs registered
//! and stocked, customers registered with an address, coupons created).
//!
//! Sizes follow the requested event count, so a small run is a small shop and a 1M-event run
//! has hundreds of products and thousands of customers, as a real log of that size would.

use std::collections::BTreeMap;

use domain::{
    cart::Cart,
    coupon::{self, Coupon, CouponCommand, Discount},
    customer::{self, Customer, CustomerCommand, Role},
    email_claim::{self, EmailClaim, EmailClaimCommand},
    inventory::{self, InventoryCommand, InventoryItem},
    order::Order,
    payment::Payment,
    product::{self, NewVariant, Product, ProductCommand},
    values::{Address, CouponCode, Currency, Email, Money, Sku},
};
use uuid::Uuid;

use super::record::{Cause, GenerateError, Recorder, Streams};

/// Actor prefix of staff commands.
pub const STAFF: &str = "staff:";
/// Actor prefix of customer commands.
pub const USER: &str = "user:";
/// Actor of the checkout saga's commands.
pub const SAGA: &str = "system:checkout-saga";

/// One sellable SKU.
#[derive(Debug, Clone)]
pub struct Item {
    /// The SKU.
    pub sku: Sku,
    /// Its product.
    pub product_id: Uuid,
    /// `product-<id>`.
    pub product_stream: String,
    /// `inventory-<SKU>`.
    pub stream: String,
}

/// A registered customer.
#[derive(Debug, Clone)]
pub struct Shopper {
    /// Customer id.
    pub id: Uuid,
    /// Default shipping address.
    pub address: Address,
}

/// Every stream of the generated shop and what journeys pick from.
#[derive(Default)]
pub struct Shop {
    /// Products.
    pub products: Streams<Product>,
    /// Stock per SKU.
    pub inventory: Streams<InventoryItem>,
    /// Customers.
    pub customers: Streams<Customer>,
    /// E-mail claims.
    pub claims: Streams<EmailClaim>,
    /// Carts.
    pub carts: Streams<Cart>,
    /// Orders.
    pub orders: Streams<Order>,
    /// Payments.
    pub payments: Streams<Payment>,
    /// Coupons.
    pub coupons: Streams<Coupon>,
    /// Sellable SKUs.
    pub items: Vec<Item>,
    /// Registered customers.
    pub shoppers: Vec<Shopper>,
    /// Coupon codes.
    pub codes: Vec<CouponCode>,
    /// The staff member running the shop.
    pub staff: Uuid,
    /// The shop's currency.
    pub currency: Option<Currency>,
}

/// How big the opened shop is for a log of `events` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Products (1 to 4 variants each).
    pub products: usize,
    /// Customers.
    pub customers: usize,
    /// Coupons.
    pub coupons: usize,
}

impl Size {
    /// Roughly 5 % of the events open the shop; the rest are journeys.
    pub fn for_events(events: u64) -> Self {
        let scaled = |per: u64, low: u64, high: u64| (events / per).clamp(low, high) as usize;
        Self {
            products: scaled(2_000, 10, 2_000),
            customers: scaled(100, 20, 20_000),
            coupons: scaled(100_000, 4, 50),
        }
    }
}

fn value<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, GenerateError> {
    result.map_err(|error| GenerateError::Value(error.to_string()))
}

const CATEGORIES: &[&str] = &["apparel", "shoes", "kitchen", "garden", "books", "toys"];
const BRANDS: &[&str] = &["Acme", "Northwind", "Globex", "Initech", ""];
const SIZES: &[&str] = &["S", "M", "L", "XL"];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "DE"),
    ("Lyon", "FR"),
    ("Porto", "PT"),
    ("Utrecht", "NL"),
];

impl Shop {
    /// The shop's currency (EUR).
    pub fn currency(&self) -> Result<Currency, GenerateError> {
        match self.currency {
            Some(currency) => Ok(currency),
            None => value(Currency::parse("EUR")),
        }
    }

    /// A staff command's cause.
    pub fn staff_cause(&self, recorder: &mut Recorder) -> Cause {
        let id = recorder.id();
        Cause {
            correlation_id: id,
            causation_id: id,
            actor: STAFF,
            user: Some(self.staff),
        }
    }

    /// Opens the shop: products, stock, customers, coupons.
    pub fn open(recorder: &mut Recorder, size: Size) -> Result<Self, GenerateError> {
        let mut shop = Shop {
            currency: Some(value(Currency::parse("EUR"))?),
            ..Shop::default()
        };
        shop.staff = recorder.id();
        for n in 0..size.products {
            shop.create_product(recorder, n)?;
            recorder.advance(60);
        }
        for n in 0..size.coupons {
            shop.create_coupon(recorder, n)?;
        }
        for n in 0..size.customers {
            shop.register(recorder, n)?;
            recorder.advance(30);
        }
        Ok(shop)
    }

    fn create_product(&mut self, recorder: &mut Recorder, n: usize) -> Result<(), GenerateError> {
        let currency = self.currency()?;
        let product_id = recorder.id();
        let stream = product::stream_id(product_id);
        let variants: Vec<NewVariant> = (0..recorder.rng.between(1, 4))
            .map(|v| {
                let size = SIZES[v as usize % SIZES.len()];
                Ok(NewVariant {
                    sku: value(Sku::parse(&format!("P{n:05}-{size}")))?,
                    name: format!("Item {n} size {size}"),
                    price: Money::new(i64::from(recorder.rng.between(199, 19_999)), currency),
                    attributes: BTreeMap::from([("size".to_string(), size.to_string())]),
                })
            })
            .collect::<Result<_, GenerateError>>()?;
        let cause = self.staff_cause(recorder);
        let category = CATEGORIES[recorder.rng.index(CATEGORIES.len())];
        let brand = BRANDS[recorder.rng.index(BRANDS.len())];
        self.products.execute(
            recorder,
            &stream,
            ProductCommand::CreateProduct {
                product_id,
                name: format!("{brand} {category} item {n}"),
                slug: format!("{category}-item-{n}"),
                description: format!("A fine {category} item, number {n}, made to last."),
                category: category.to_string(),
                brand: brand.to_string(),
                attributes: BTreeMap::from([("origin".to_string(), "EU".to_string())]),
                variants: variants.clone(),
            },
            cause,
        )?;
        self.products
            .execute(recorder, &stream, ProductCommand::PublishProduct {}, cause)?;
        for variant in variants {
            let item = Item {
                stream: inventory::stream_id(&variant.sku),
                sku: variant.sku,
                product_id,
                product_stream: stream.clone(),
            };
            self.inventory.execute(
                recorder,
                &item.stream,
                InventoryCommand::RegisterSku {
                    sku: item.sku.clone(),
                    product_id,
                    low_stock_threshold: 5,
                },
                cause,
            )?;
            let quantity = recorder.rng.between(20, 200);
            self.inventory.execute(
                recorder,
                &item.stream,
                InventoryCommand::ReceiveStock { quantity },
                cause,
            )?;
            self.items.push(item);
        }
        Ok(())
    }

    fn create_coupon(&mut self, recorder: &mut Recorder, n: usize) -> Result<(), GenerateError> {
        let currency = self.currency()?;
        let code = value(CouponCode::parse(&format!("SAVE{n:03}")))?;
        let discount = if n.is_multiple_of(2) {
            Discount::Percentage {
                basis_points: 500 + 500 * (n as u32 % 4),
            }
        } else {
            Discount::FixedAmount {
                amount: Money::new(500, currency),
            }
        };
        let now = recorder.now();
        let cause = self.staff_cause(recorder);
        self.coupons.execute(
            recorder,
            &coupon::stream_id(&code),
            CouponCommand::CreateCoupon {
                code: code.clone(),
                discount,
                // A fixed discount needs a subtotal above it, so the total stays positive.
                min_order_value: Some(Money::new(2_000, currency)),
                valid_from: now - chrono::Duration::days(1),
                valid_until: now + chrono::Duration::days(3_650),
                global_limit: n.is_multiple_of(3).then_some(1_000),
                per_customer_limit: (n % 2 == 1).then_some(3),
            },
            cause,
        )?;
        self.codes.push(code);
        Ok(())
    }

    fn register(&mut self, recorder: &mut Recorder, n: usize) -> Result<(), GenerateError> {
        let id = recorder.id();
        let email = value(Email::parse(&format!("shopper{n}@example.com")))?;
        let cause = Cause {
            correlation_id: id,
            causation_id: id,
            actor: USER,
            user: Some(id),
        };
        self.claims.execute(
            recorder,
            &email_claim::stream_id(&email),
            EmailClaimCommand::ClaimEmail {
                email: email.clone(),
                customer_id: id,
            },
            cause,
        )?;
        let stream = customer::stream_id(id);
        self.customers.execute(
            recorder,
            &stream,
            CustomerCommand::RegisterCustomer {
                customer_id: id,
                email,
                display_name: format!("Shopper {n}"),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2g$c3ludGhldGljLWhhc2g"
                    .to_string(),
                role: Role::Customer,
            },
            cause,
        )?;
        let (city, country) = CITIES[n % CITIES.len()];
        let address = Address {
            recipient: format!("Shopper {n}"),
            line1: format!("{} Market Street", 1 + n % 200),
            line2: String::new(),
            city: city.to_string(),
            postal_code: format!("{:05}", 10_000 + n % 80_000),
            region: String::new(),
            country: country.to_string(),
        };
        let address_id = recorder.id();
        self.customers.execute(
            recorder,
            &stream,
            CustomerCommand::AddAddress {
                address_id,
                address: address.clone(),
            },
            cause,
        )?;
        self.shoppers.push(Shopper { id, address });
        Ok(())
    }
}
