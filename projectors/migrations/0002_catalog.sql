-- Catalog read model: products with full-text search and facets, and their variants.
--
-- Every timestamp comes from the events (`occurred_at`), never from the clock, so a rebuild
-- from offset 0 yields byte-identical rows.
CREATE TABLE catalog_products (
    product_id      uuid        PRIMARY KEY,
    slug            text        NOT NULL UNIQUE,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    category        text        NOT NULL DEFAULT '',
    brand           text        NOT NULL DEFAULT '',
    attributes      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status          text        NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'published', 'deleted')),
    -- Currency and price range of the active (not retired) variants; NULL when there are none.
    currency        text        NULL,
    min_price_minor bigint      NULL,
    max_price_minor bigint      NULL,
    -- Active variants, for listings that hide products with nothing to sell.
    variant_count   int         NOT NULL DEFAULT 0,
    -- Search document: name weighs most, then brand and category, then description. The
    -- 'english' configuration stems words, so queries must use it too
    -- (websearch_to_tsquery('english', $1)).
    search          tsvector    GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', name), 'A')
                        || setweight(to_tsvector('english', brand || ' ' || category), 'B')
                        || setweight(to_tsvector('english', description), 'C')
                    ) STORED,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    stream_version  bigint      NOT NULL
);

CREATE INDEX catalog_products_search_idx ON catalog_products USING gin (search);
-- Facet counts and filtered listings go by status first (storefront sees published only).
CREATE INDEX catalog_products_category_idx ON catalog_products (status, category);
CREATE INDEX catalog_products_brand_idx ON catalog_products (status, brand);
CREATE INDEX catalog_products_attributes_idx ON catalog_products USING gin (attributes jsonb_path_ops);

CREATE TABLE catalog_variants (
    sku         text    PRIMARY KEY,
    product_id  uuid    NOT NULL REFERENCES catalog_products (product_id),
    name        text    NOT NULL,
    price_minor bigint  NOT NULL,
    currency    text    NOT NULL,
    attributes  jsonb   NOT NULL DEFAULT '{}'::jsonb,
    retired     boolean NOT NULL DEFAULT false,
    -- Order in which variants were added to the product, from 0.
    position    int     NOT NULL
);

CREATE INDEX catalog_variants_product_idx ON catalog_variants (product_id, position);
