//! The stable error codes of the command API, with the HTTP status each is answered with.
//!
//! Every failure is `{"error": {"code", "message", "details"?}}` (see [`crate::error`]); clients
//! match on `code`, never on `message`. The codes of domain refusals come from the aggregates'
//! `DomainError::code`; the others from [`crate::error::ApiError`] and
//! [`crate::identity::errors::AuthError`]. The operation table lists, per operation, which of
//! these it can answer.

/// One machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The `error.code` value.
    pub code: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
    /// When a client sees it.
    pub meaning: &'static str,
}

/// Declares the codes as constants and lists them all in [`ALL`].
macro_rules! codes {
    ($($name:ident = $status:literal $code:literal $meaning:literal;)*) => {
        $(
            #[doc = $meaning]
            pub const $name: ErrorCode = ErrorCode {
                code: $code,
                status: $status,
                meaning: $meaning,
            };
        )*
        /// Every code, in declaration order.
        pub const ALL: &[ErrorCode] = &[$($name),*];
    };
}

codes! {
    // Answered by the API itself, whatever the resource.
    BAD_REQUEST = 400 "bad_request" "The body is not JSON, or a path segment is malformed (e.g. an id that is not a UUID).";
    PAYLOAD_TOO_LARGE = 413 "payload_too_large" "The body is larger than the configured limit (`AGORA_MAX_BODY_BYTES`).";
    UNSUPPORTED_MEDIA_TYPE = 415 "unsupported_media_type" "The body lacks `Content-Type: application/json`.";
    METHOD_NOT_ALLOWED = 405 "method_not_allowed" "The path exists but not with this method.";
    UNAUTHENTICATED = 401 "unauthenticated" "No bearer token, or the token is malformed, expired or not signed by Agora.";
    FORBIDDEN = 403 "forbidden" "The token is valid but its role (or account) may not do this.";
    ROUTE_NOT_FOUND = 404 "route_not_found" "No such endpoint.";
    IDEMPOTENCY_KEY_REUSED = 422 "idempotency_key_reused" "This `Idempotency-Key` was already used with a different request.";
    VALIDATION_FAILED = 422 "validation_failed" "A field breaks a rule; `details.fields` names each field and why.";
    INTERNAL = 500 "internal" "Unexpected failure; logged with its cause, reported opaquely.";
    RATE_LIMITED = 429 "rate_limited" "The caller (the subject of its token, else its address) sent more requests than the per-caller limit allows (`AGORA_COMMAND_RATE_PER_SECOND`, `AGORA_COMMAND_BURST`); nothing was done. `details.retry_after_secs` and `Retry-After` say when to retry.";
    UNAVAILABLE = 503 "unavailable" "The command processors did not answer, or a read model has not caught up with `X-Consistency-Token` yet; retry with the same `Idempotency-Key`.";

    // Identity.
    INVALID_CREDENTIALS = 401 "invalid_credentials" "Unknown e-mail address or wrong password (the same answer for both).";
    ACCOUNT_NOT_FOUND = 401 "account_not_found" "The access token is valid but names no account (none was registered under its subject, and it holds no live session): log in again.";
    INVALID_REFRESH_TOKEN = 401 "invalid_refresh_token" "The refresh token is unknown, expired, revoked or was already used.";
    ACCOUNT_DEACTIVATED = 403 "account_deactivated" "The account is deactivated.";
    TOO_MANY_ATTEMPTS = 429 "too_many_attempts" "Too many failed attempts; `details.retry_after_secs` and `Retry-After` say when to retry.";
    EMAIL_TAKEN = 409 "email_taken" "Another account holds the e-mail address.";

    // Products.
    PRODUCT_NOT_FOUND = 404 "product_not_found" "No such product.";
    PRODUCT_DELETED = 409 "product_deleted" "The product was deleted.";
    ALREADY_PUBLISHED = 409 "already_published" "The product is already published.";
    NOT_PUBLISHED = 409 "not_published" "The product is not published.";
    INVALID_NAME = 422 "invalid_name" "A name must be 1 to 200 characters.";
    INVALID_SLUG = 422 "invalid_slug" "A slug must be 1 to 200 characters of a-z, 0-9 and '-'.";
    DESCRIPTION_TOO_LONG = 422 "description_too_long" "The description is longer than 10 000 characters.";
    INVALID_CATEGORY = 422 "invalid_category" "A category must be 1 to 100 characters.";
    INVALID_BRAND = 422 "invalid_brand" "A brand must be at most 100 characters.";
    INVALID_ATTRIBUTE = 422 "invalid_attribute" "An attribute key is empty or longer than 100 characters, or its value longer than 1000.";
    NO_VARIANTS = 422 "no_variants" "A product needs at least one variant.";
    DUPLICATE_SKU = 422 "duplicate_sku" "The same SKU appears twice.";
    MIXED_CURRENCIES = 422 "mixed_currencies" "Prices are in more than one currency.";
    INVALID_PRICE = 422 "invalid_price" "A price or amount is negative.";
    INVALID_VARIANT_NAME = 422 "invalid_variant_name" "A variant name must be 1 to 200 characters.";
    NOTHING_TO_UPDATE = 422 "nothing_to_update" "At least one field must be given.";
    VARIANT_ALREADY_EXISTS = 409 "variant_already_exists" "The product already has this SKU.";
    VARIANT_NOT_FOUND = 404 "variant_not_found" "The product has no such SKU.";
    VARIANT_RETIRED = 409 "variant_retired" "The variant is retired.";
    LAST_ACTIVE_VARIANT = 409 "last_active_variant" "Retiring would leave the product without an active variant.";
    CURRENCY_MISMATCH = 409 "currency_mismatch" "The price is in another currency than the product's or the cart's.";

    // Inventory.
    UNKNOWN_SKU = 404 "unknown_sku" "The SKU is not registered with inventory.";
    INVALID_QUANTITY = 422 "invalid_quantity" "A quantity is zero or out of range.";
    INVALID_ADJUSTMENT = 422 "invalid_adjustment" "An adjustment must change the quantity.";
    MISSING_REASON = 422 "missing_reason" "An adjustment needs a reason.";
    INSUFFICIENT_STOCK = 409 "insufficient_stock" "The change would make available stock negative.";
    QUANTITY_OVERFLOW = 409 "quantity_overflow" "The quantity would not fit in 64 bits.";

    // Carts.
    CART_NOT_FOUND = 404 "cart_not_found" "No such cart.";
    CART_LINE_NOT_FOUND = 404 "cart_line_not_found" "The SKU is not in the cart.";
    TOO_MANY_LINES = 409 "too_many_lines" "The cart is full.";
    MERGE_INTO_ITSELF = 422 "merge_into_itself" "A cart cannot be merged into itself.";

    // Customers.
    CUSTOMER_NOT_FOUND = 404 "customer_not_found" "No such customer.";
    CUSTOMER_DEACTIVATED = 409 "customer_deactivated" "The customer is deactivated.";
    INVALID_DISPLAY_NAME = 422 "invalid_display_name" "A display name must be 1 to 100 characters.";
    INVALID_ADDRESS = 422 "invalid_address" "An address field is missing or too long.";
    ADDRESS_NOT_FOUND = 404 "address_not_found" "No such address-book entry.";
    TOO_MANY_ADDRESSES = 409 "too_many_addresses" "The address book is full.";

    // Orders and payments.
    ORDER_NOT_FOUND = 404 "order_not_found" "No such order (or it belongs to another customer).";
    INVALID_TRANSITION = 409 "invalid_transition" "The order's status forbids this step.";
    INVALID_SHIPMENT = 422 "invalid_shipment" "Carrier and tracking number are required.";
    INVALID_REFUND_AMOUNT = 422 "invalid_refund_amount" "A refund must be a positive amount in the order currency.";
    NOT_PAID = 409 "not_paid" "The order was never paid.";
    REFUND_EXCEEDS_PAID = 409 "refund_exceeds_paid" "The refund would exceed what was paid and not yet refunded.";
    ORDER_NOT_PAYABLE = 409 "order_not_payable" "Only a confirmed order can be paid.";
    PAYMENT_ALREADY_EXISTS = 409 "payment_already_exists" "A payment with another idempotency key already exists.";
    INVALID_REFERENCE = 422 "invalid_reference" "The instrument token is missing or longer than 200 characters.";

    // Coupons.
    COUPON_NOT_FOUND = 404 "coupon_not_found" "No such coupon.";
    COUPON_ALREADY_EXISTS = 409 "coupon_already_exists" "A coupon with this code already exists.";
    COUPON_DISABLED = 409 "coupon_disabled" "The coupon is already disabled.";
    INVALID_DISCOUNT = 422 "invalid_discount" "A percentage must be 1 to 10 000 basis points, a fixed amount positive.";
    INVALID_MIN_ORDER_VALUE = 422 "invalid_min_order_value" "The minimum order value is negative or in another currency.";
    INVALID_VALIDITY = 422 "invalid_validity" "`valid_from` must be before `valid_until`.";
    INVALID_LIMIT = 422 "invalid_limit" "A redemption limit must be at least 1.";
}
