//! Bounds introspection: off unless enabled (by default only where GraphiQL is served), and at
//! most [`MAX_INTROSPECTION_FIELDS`] per operation where it is on.
//!
//! Complexity counts an introspection field once, like any field, although `__schema` answers
//! the whole schema: about 200 aliases of a full introspection spread through one fragment fit
//! in the 64 KiB body limit and each costs a full walk of the registry. Real clients (GraphiQL,
//! code generators) ask for `__schema` once, so this extension counts the `__schema` and
//! `__type` fields each operation selects, through fragments as they would be expanded, right
//! after parsing, and refuses the document before validation or any resolver runs:
//! `QUERY_TOO_COMPLEX` over the limit, `GRAPHQL_VALIDATION_FAILED` when introspection is off
//! (`AGORA_GRAPHQL_INTROSPECTION`, by default on exactly where GraphiQL is served, so only in
//! dev mode unless a deployment turns GraphiQL on; see [`crate::config`]).
//!
//! `__typename` is not counted: it is answered from the object at hand, and the body limit
//! already bounds how many a document can hold.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

/// Most introspection fields (`__schema`, `__type`) one operation may select when introspection
/// is on: one full introspection plus a few type look-ups.
pub const MAX_INTROSPECTION_FIELDS: usize = 4;

/// Factory of the introspection limit.
#[derive(Debug, Clone, Copy)]
pub struct IntrospectionLimit {
    /// Most introspection fields per operation; 0 when introspection is off.
    max: usize,
}

impl IntrospectionLimit {
    /// The limit for a schema that serves introspection (`enabled`) or not.
    pub fn new(enabled: bool) -> Self {
        Self {
            max: if enabled { MAX_INTROSPECTION_FIELDS } else { 0 },
        }
    }

    /// Refuses `document` when one of its operations selects more introspection fields than
    /// allowed.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let counts = FragmentCounts::of(document);
        for (_, operation) in document.operations.iter() {
            let found = counts.in_selection(&operation.node.selection_set.node);
            if found <= self.max {
                continue;
            }
            let (message, code) = if self.max == 0 {
                (
                    "introspection is disabled on this server".to_string(),
                    "GRAPHQL_VALIDATION_FAILED",
                )
            } else {
                (
                    format!(
                        "query is too complex: at most {} introspection fields (`__schema`, \
                         `__type`) are allowed per operation, this one selects {found}",
                        self.max
                    ),
                    "QUERY_TOO_COMPLEX",
                )
            };
            let mut error = ServerError::new(message, Some(operation.pos));
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
            return Err(error);
        }
        Ok(())
    }
}

impl ExtensionFactory for IntrospectionLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for IntrospectionLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.check(&document)?;
        Ok(document)
    }
}

fn is_introspection(name: &str) -> bool {
    matches!(name, "__schema" | "__type")
}

/// What one selection set holds before fragments are expanded.
#[derive(Debug, Default)]
struct Direct<'a> {
    /// Introspection fields written in it (nested ones included).
    fields: usize,
    /// The fragments it spreads, once per spread.
    spreads: Vec<&'a str>,
}

/// Walks one selection set. Recursion is bounded by the nesting the parser accepts.
fn collect<'a>(set: &'a SelectionSet, into: &mut Direct<'a>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                if is_introspection(field.node.name.node.as_str()) {
                    into.fields = into.fields.saturating_add(1);
                }
                collect(&field.node.selection_set.node, into);
            }
            Selection::InlineFragment(inline) => collect(&inline.node.selection_set.node, into),
            Selection::FragmentSpread(spread) => {
                into.spreads.push(spread.node.fragment_name.node.as_str());
            }
        }
    }
}

/// Introspection fields per fragment, fully expanded.
struct FragmentCounts<'a> {
    totals: HashMap<&'a str, usize>,
}

impl<'a> FragmentCounts<'a> {
    /// Expands every fragment once, iteratively (a chain of thousands of fragments must not
    /// exhaust the stack) and with saturating sums (each fragment spread twice by the next one
    /// doubles the count). A spread that closes a cycle counts nothing here; validation
    /// refuses the cycle itself.
    fn of(document: &'a ExecutableDocument) -> Self {
        let direct: HashMap<&str, Direct<'_>> = document
            .fragments
            .iter()
            .map(|(name, fragment)| {
                let mut found = Direct::default();
                collect(&fragment.node.selection_set.node, &mut found);
                (name.as_str(), found)
            })
            .collect();
        let mut totals: HashMap<&str, usize> = HashMap::new();
        let mut started: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for &root in direct.keys() {
            let mut stack = vec![(root, false)];
            while let Some((name, children_done)) = stack.pop() {
                let Some(own) = direct.get(name) else {
                    continue; // an unknown fragment: validation reports it
                };
                if children_done {
                    let total = own.spreads.iter().fold(own.fields, |sum, spread| {
                        sum.saturating_add(totals.get(spread).copied().unwrap_or(0))
                    });
                    totals.insert(name, total);
                } else if started.insert(name) {
                    stack.push((name, true));
                    stack.extend(
                        own.spreads
                            .iter()
                            .filter(|spread| !started.contains(*spread))
                            .map(|spread| (*spread, false)),
                    );
                }
            }
        }
        Self { totals }
    }

    /// Introspection fields `set` selects once its spreads are expanded.
    fn in_selection(&self, set: &SelectionSet) -> usize {
        let mut found = Direct::default();
        collect(set, &mut found);
        found.spreads.iter().fold(found.fields, |sum, spread| {
            sum.saturating_add(self.totals.get(spread).copied().unwrap_or(0))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (team rule)
mod tests {
    use super::*;

    fn count(query: &str) -> usize {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let counts = FragmentCounts::of(&document);
        document
            .operations
            .iter()
            .map(|(_, op)| counts.in_selection(&op.node.selection_set.node))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn fields_are_counted_through_aliases_inline_fragments_and_nested_spreads() {
        assert_eq!(count("{ __schema { types { name } } }"), 1);
        assert_eq!(
            count("{ a: __schema { types { name } } b: __type(name: \"X\") { name } }"),
            2
        );
        assert_eq!(
            count("{ ... on Query { __schema { queryType { name } } } }"),
            1
        );
        let spread_twice = "{ ...A ...A } fragment A on Query { ...B ...B } \
                            fragment B on Query { x: __schema { types { name } } y: __type(name: \"Y\") { name } }";
        assert_eq!(count(spread_twice), 8);
        assert_eq!(count("{ __typename products { __typename } }"), 0);
    }

    #[test]
    fn a_fragment_cycle_terminates() {
        let cycle = "{ ...A } fragment A on Query { __schema { types { name } } ...B } \
                     fragment B on Query { ...A }";
        assert!(count(cycle) >= 1);
    }

    #[test]
    fn a_doubling_chain_saturates_instead_of_overflowing() {
        let mut query = String::from("{ ...F0 } ");
        for i in 0..80 {
            query.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }} ",
                i + 1,
                i + 1
            ));
        }
        query.push_str("fragment F80 on Query { __schema { types { name } } }");
        assert_eq!(count(&query), usize::MAX);
    }

    #[test]
    fn a_disabled_schema_refuses_any_introspection_and_an_enabled_one_only_a_flood() {
        let one = async_graphql::parser::parse_query("{ __schema { types { name } } }").unwrap();
        assert!(IntrospectionLimit::new(true).check(&one).is_ok());
        let error = IntrospectionLimit::new(false).check(&one).unwrap_err();
        assert!(error.message.contains("disabled"), "{}", error.message);
        let flood: String = (0..=MAX_INTROSPECTION_FIELDS)
            .map(|i| format!("a{i}: __schema {{ types {{ name }} }} "))
            .collect();
        let flood = async_graphql::parser::parse_query(format!("{{ {flood} }}")).unwrap();
        let error = IntrospectionLimit::new(true).check(&flood).unwrap_err();
        assert!(error.message.contains("introspection"), "{}", error.message);
    }
}
