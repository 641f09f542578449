//! `JsonSchema` for types outside the request-body modules that bodies contain.
//!
//! [`Role`] lives in `crate::auth`, which this module does not own; its schema is written here
//! from its serde names, so the document stays generated from the code. Once `Role` derives
//! `JsonSchema` itself, delete this file.

use std::borrow::Cow;

use schemars::{
    JsonSchema,
    r#gen::SchemaGenerator,
    schema::{InstanceType, Metadata, Schema, SchemaObject},
};

use crate::auth::Role;

/// Every role, least privileged first.
pub const ROLES: [Role; 3] = [Role::Customer, Role::Staff, Role::Admin];

impl JsonSchema for Role {
    fn schema_name() -> String {
        "Role".into()
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::Role"))
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // A role always serializes (to its snake_case name); the filter is only for the type.
        let names = ROLES
            .iter()
            .filter_map(|role| serde_json::to_value(role).ok())
            .collect();
        SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            enum_values: Some(names),
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "`customer` (a shopper), `staff` (catalog, stock, orders) or `admin` \
                     (everything, including roles of others)."
                        .into(),
                ),
                ..Metadata::default()
            })),
            ..SchemaObject::default()
        }
        .into()
    }
}
