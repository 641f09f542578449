//! The one table of every operation the command API routes.
//!
//! The OpenAPI document ([`super::document`]) and the `/docs` page ([`super::page`]) are both
//! rendered from [`OPERATIONS`]; request body schemas come from the Rust types the handlers
//! deserialize. `tests/openapi.rs` checks the table against the `.route(…)` registrations in
//! the source, so a route added without a row (or a row without a route) fails the build's
//! tests.

use domain::values::Address;

use super::{
    codes::*,
    model::{Access, Answer, Method, Operation, body, op},
};
use crate::http::routes::{
    auth::{ChangePassword, Login, RefreshToken, Register},
    carts::{AddLine, ApplyCoupon, ChangeQuantity, Merge},
    coupons::CreateCoupon,
    customers::{ChangeRole, UpdateProfile},
    inventory::{Adjust, Receive, Threshold},
    orders::{Checkout, Refund, Ship},
    payments::Pay,
    products::{AddVariant, ChangePrice, CreateProduct, UpdateDetails},
};

use Access::{Admin, Customer, Guest, Public, Staff};
use Method::{Delete, Get, Patch, Post, Put};

/// The groups, in page order, with what each covers.
pub const RESOURCES: &[(&str, &str)] = &[
    (
        "auth",
        "Accounts and tokens: register, log in, refresh, log out, change password.",
    ),
    (
        "customers",
        "The caller's own profile and address book, and account administration.",
    ),
    (
        "products",
        "The catalog: products, variants, prices, publishing (staff).",
    ),
    (
        "inventory",
        "Stock per SKU: receipts, adjustments, low-stock thresholds (staff).",
    ),
    (
        "carts",
        "Guest and customer carts: lines, coupon, merge on sign-in.",
    ),
    (
        "orders",
        "Checkout and the order's life: cancel, ship, deliver, refund.",
    ),
    ("payments", "Paying for a confirmed order."),
    ("coupons", "Discount codes (staff)."),
    ("service", "Probes and this documentation."),
];

const CART_ACCESS: &str = "A guest cart is reachable by anyone holding its id (the cart token); \
a customer's cart only by its owner or staff (403 otherwise).";

/// Every routed operation.
pub static OPERATIONS: &[Operation] = &[
    // auth
    op(Post, "/auth/register", "auth", "Register a customer account", Public)
        .describe("Claims the e-mail address, then creates the customer. The password is hashed (argon2id) before it enters a command.")
        .idempotent()
        .body(body::<Register>)
        .answers(Answer::CommandWithTokens { status: 201 })
        .refuses(&[EMAIL_TAKEN, INVALID_DISPLAY_NAME]),
    op(Post, "/auth/login", "auth", "Log in", Public)
        .describe("Answers an access token and a rotating refresh token. Failed attempts are throttled per account and per client address.")
        .body(body::<Login>)
        .answers(Answer::Tokens)
        .refuses(&[INVALID_CREDENTIALS, ACCOUNT_DEACTIVATED, TOO_MANY_ATTEMPTS]),
    op(Post, "/auth/refresh", "auth", "Exchange a refresh token for a new pair", Public)
        .describe("The presented token is spent; presenting it again revokes every session of the account.")
        .body(body::<RefreshToken>)
        .answers(Answer::Tokens)
        .refuses(&[INVALID_REFRESH_TOKEN, ACCOUNT_DEACTIVATED]),
    op(Post, "/auth/logout", "auth", "Revoke a refresh token", Public)
        .describe("Unknown or already revoked tokens get the same 204, so a retried logout is harmless.")
        .body(body::<RefreshToken>)
        .answers(Answer::NoContent),
    op(Post, "/auth/password", "auth", "Change the password", Customer)
        .describe("Needs the current password; ends every other session of the account and answers a new token pair. A token whose account does not exist is refused with 401 `account_not_found`; an account registered a moment ago that the read model does not show yet answers 503 (retry).")
        .idempotent()
        .body(body::<ChangePassword>)
        .answers(Answer::CommandWithTokens { status: 200 })
        .refuses(&[INVALID_CREDENTIALS, ACCOUNT_NOT_FOUND, TOO_MANY_ATTEMPTS, CUSTOMER_DEACTIVATED]),
    // customers
    op(Patch, "/me/profile", "customers", "Change the display name", Customer)
        .idempotent()
        .body(body::<UpdateProfile>)
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED, INVALID_DISPLAY_NAME]),
    op(Post, "/me/addresses", "customers", "Add an address to the address book", Customer)
        .describe("The entry's id derives from the command id, so a retry with the same key adds nothing.")
        .idempotent()
        .body(body::<Address>)
        .answers(Answer::Command { extra: "`address_id`" })
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED, INVALID_ADDRESS, TOO_MANY_ADDRESSES]),
    op(Put, "/me/addresses/{id}", "customers", "Replace an address", Customer)
        .idempotent()
        .body(body::<Address>)
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED, ADDRESS_NOT_FOUND, INVALID_ADDRESS]),
    op(Delete, "/me/addresses/{id}", "customers", "Remove an address", Customer)
        .idempotent()
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED, ADDRESS_NOT_FOUND]),
    op(Post, "/me/addresses/{id}/default", "customers", "Make an address the default", Customer)
        .idempotent()
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED, ADDRESS_NOT_FOUND]),
    op(Put, "/customers/{id}/role", "customers", "Change a customer's role", Admin)
        .describe("Refused with 403 before anything is sent unless the caller is an admin.")
        .idempotent()
        .body(body::<ChangeRole>)
        .answers(Answer::Command { extra: "`customer_id`, `role`" })
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED]),
    op(Post, "/customers/{id}/deactivate", "customers", "Deactivate an account", Staff)
        .describe("Ends the account's sessions and frees its e-mail address. Only an admin may deactivate an admin.")
        .idempotent()
        .answers(Answer::Command { extra: "`customer_id`" })
        .refuses(&[CUSTOMER_NOT_FOUND, CUSTOMER_DEACTIVATED]),
    // products
    op(Post, "/products", "products", "Create a product with its variants", Staff)
        .describe("Also registers each new SKU with inventory; each registration's result is reported in `skus` without failing the request.")
        .idempotent()
        .body(body::<CreateProduct>)
        .answers(Answer::Command { extra: "`product_id`, `skus` (per SKU: `registered`, `pending`, `refused` with `code`, or `failed`)" })
        .refuses(&[INVALID_NAME, INVALID_SLUG, DESCRIPTION_TOO_LONG, INVALID_CATEGORY, INVALID_BRAND, INVALID_ATTRIBUTE, NO_VARIANTS, DUPLICATE_SKU, MIXED_CURRENCIES, INVALID_PRICE, INVALID_VARIANT_NAME]),
    op(Patch, "/products/{id}", "products", "Update a product's details", Staff)
        .idempotent()
        .body(body::<UpdateDetails>)
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, INVALID_NAME, DESCRIPTION_TOO_LONG, INVALID_CATEGORY, INVALID_BRAND, INVALID_ATTRIBUTE, NOTHING_TO_UPDATE]),
    op(Delete, "/products/{id}", "products", "Delete a product (soft)", Staff)
        .idempotent()
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED]),
    op(Post, "/products/{id}/publish", "products", "Publish a product", Staff)
        .idempotent()
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, ALREADY_PUBLISHED]),
    op(Post, "/products/{id}/unpublish", "products", "Unpublish a product", Staff)
        .idempotent()
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, NOT_PUBLISHED]),
    op(Post, "/products/{id}/variants", "products", "Add a variant", Staff)
        .describe("Also registers the SKU with inventory, reported in `skus`.")
        .idempotent()
        .body(body::<AddVariant>)
        .answers(Answer::Command { extra: "`skus`" })
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, VARIANT_ALREADY_EXISTS, CURRENCY_MISMATCH, INVALID_PRICE, INVALID_VARIANT_NAME]),
    op(Put, "/products/{id}/variants/{sku}/price", "products", "Change a variant's price", Staff)
        .idempotent()
        .body(body::<ChangePrice>)
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, VARIANT_NOT_FOUND, VARIANT_RETIRED, CURRENCY_MISMATCH, INVALID_PRICE]),
    op(Post, "/products/{id}/variants/{sku}/retire", "products", "Retire a variant", Staff)
        .idempotent()
        .refuses(&[PRODUCT_NOT_FOUND, PRODUCT_DELETED, VARIANT_NOT_FOUND, VARIANT_RETIRED, LAST_ACTIVE_VARIANT]),
    // inventory
    op(Post, "/inventory/{sku}/receive", "inventory", "Receive stock", Staff)
        .idempotent()
        .body(body::<Receive>)
        .refuses(&[UNKNOWN_SKU, INVALID_QUANTITY, QUANTITY_OVERFLOW]),
    op(Post, "/inventory/{sku}/adjust", "inventory", "Adjust on-hand stock with a reason", Staff)
        .idempotent()
        .body(body::<Adjust>)
        .refuses(&[UNKNOWN_SKU, INVALID_ADJUSTMENT, MISSING_REASON, INSUFFICIENT_STOCK, QUANTITY_OVERFLOW]),
    op(Put, "/inventory/{sku}/low-stock-threshold", "inventory", "Set the low-stock threshold", Staff)
        .idempotent()
        .body(body::<Threshold>)
        .refuses(&[UNKNOWN_SKU]),
    // carts
    op(Post, "/carts", "carts", "Create a guest cart", Guest)
        .describe("The answered `cart_id` is the cart token a guest keeps.")
        .idempotent()
        .answers(Answer::Command { extra: "`cart_id`" }),
    op(Post, "/carts/mine", "carts", "Create the signed-in customer's cart", Customer)
        .describe("Its id derives from the customer id. Calling again when the cart exists also answers 200, with `created: false` and `version: null` (nothing was written); its consistency token is past the cart's creation, so a read with it sees the cart.")
        .idempotent()
        .answers(Answer::Command { extra: "`cart_id`, `created` (false when the cart already existed)" }),
    op(Post, "/carts/{cart_id}/lines", "carts", "Add a line, priced from the catalog now", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .body(body::<AddLine>)
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND, INVALID_QUANTITY, INVALID_PRICE, CURRENCY_MISMATCH, TOO_MANY_LINES]),
    op(Put, "/carts/{cart_id}/lines/{sku}", "carts", "Change a line's quantity", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .body(body::<ChangeQuantity>)
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND, CART_LINE_NOT_FOUND, INVALID_QUANTITY]),
    op(Delete, "/carts/{cart_id}/lines/{sku}", "carts", "Remove a line", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND, CART_LINE_NOT_FOUND]),
    op(Put, "/carts/{cart_id}/coupon", "carts", "Apply a coupon code", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .body(body::<ApplyCoupon>)
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND]),
    op(Delete, "/carts/{cart_id}/coupon", "carts", "Remove the coupon", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND]),
    op(Post, "/carts/{cart_id}/merge", "carts", "Merge a guest cart into your own", Customer)
        .describe("`{cart_id}` must be the caller's own cart; the guest cart is emptied afterwards.")
        .idempotent()
        .consistent()
        .body(body::<Merge>)
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[CART_NOT_FOUND, MERGE_INTO_ITSELF, CURRENCY_MISMATCH, TOO_MANY_LINES]),
    op(Post, "/carts/{cart_id}/clear", "carts", "Empty a cart", Guest)
        .describe(CART_ACCESS)
        .idempotent()
        .answers(Answer::Command { extra: "`cart_id`" })
        .refuses(&[FORBIDDEN, CART_NOT_FOUND]),
    // orders
    op(Post, "/checkout", "orders", "Place an order from a cart", Customer)
        .describe("Places the order; the checkout saga reserves stock, redeems the coupon and confirms or rejects it. With `wait` (default) the answer carries the verdict in `status`, or is 202 when none came within 10 s.")
        .idempotent()
        .consistent()
        .body(body::<Checkout>)
        .answers(Answer::Command { extra: "`order_id`, `status` (`placed`, `confirmed`, `rejected`, …), `total`" })
        .refuses(&[INVALID_ADDRESS]),
    op(Post, "/orders/{order_id}/cancel", "orders", "Cancel an order before shipment", Customer)
        .describe("By its customer or staff; another customer's order answers 404.")
        .idempotent()
        .consistent()
        .answers(Answer::Command { extra: "`order_id`" })
        .refuses(&[ORDER_NOT_FOUND, INVALID_TRANSITION]),
    op(Post, "/orders/{order_id}/ship", "orders", "Ship an order", Staff)
        .idempotent()
        .body(body::<Ship>)
        .answers(Answer::Command { extra: "`order_id`" })
        .refuses(&[ORDER_NOT_FOUND, INVALID_TRANSITION, INVALID_SHIPMENT]),
    op(Post, "/orders/{order_id}/deliver", "orders", "Mark an order delivered", Staff)
        .idempotent()
        .answers(Answer::Command { extra: "`order_id`" })
        .refuses(&[ORDER_NOT_FOUND, INVALID_TRANSITION]),
    op(Post, "/orders/{order_id}/refund", "orders", "Refund (part of) an order", Staff)
        .describe("The saga refunds the payment once the order records the refund.")
        .idempotent()
        .body(body::<Refund>)
        .answers(Answer::Command { extra: "`order_id`, `refund_id`" })
        .refuses(&[ORDER_NOT_FOUND, INVALID_TRANSITION, INVALID_REFUND_AMOUNT, NOT_PAID, REFUND_EXCEEDS_PAID]),
    // payments
    op(Post, "/orders/{order_id}/payments", "payments", "Pay for a confirmed order", Customer)
        .describe("Starts a payment; the saga asks the provider to authorize and capture it. With `wait` (default) the answer carries `payment_status` (`captured`, `declined`, `failed`) or `processing` when no verdict came within 10 s.")
        .idempotent()
        .consistent()
        .body(body::<Pay>)
        .answers(Answer::Command { extra: "`payment_id`, `order_id`, `payment_status`" })
        .refuses(&[ORDER_NOT_FOUND, ORDER_NOT_PAYABLE, PAYMENT_ALREADY_EXISTS, INVALID_REFERENCE]),
    // coupons
    op(Post, "/coupons", "coupons", "Create a coupon", Staff)
        .idempotent()
        .body(body::<CreateCoupon>)
        .refuses(&[COUPON_ALREADY_EXISTS, INVALID_DISCOUNT, INVALID_MIN_ORDER_VALUE, INVALID_VALIDITY, INVALID_LIMIT]),
    op(Post, "/coupons/{code}/disable", "coupons", "Disable a coupon", Staff)
        .idempotent()
        .refuses(&[COUPON_NOT_FOUND, COUPON_DISABLED]),
    // service
    op(Get, "/healthz", "service", "Liveness", Public)
        .describe("`ok` while the process answers.")
        .answers(Answer::Text),
    op(Get, "/readyz", "service", "Readiness", Public)
        .describe("`ready` when the broker and Postgres answer, else 503 naming the failing check (for load balancers).")
        .answers(Answer::Readiness),
    op(Get, "/openapi.json", "service", "This API as an OpenAPI 3.0 document", Public)
        .answers(Answer::OpenApi),
    op(Get, "/docs", "service", "This API as an HTML page", Public)
        .answers(Answer::Html),
];
