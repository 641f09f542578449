//! Helpers shared by the contract tests.

pub mod aggregates;
pub mod arbitrary;
pub mod files;
pub mod keywords;
pub mod skeleton;
pub mod validate;

/// Fails with every problem listed, one per line, or passes when there are none.
pub fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}
