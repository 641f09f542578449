//! The goals of issue 8, judged from a run's figures: each says what was measured, the bound,
//! whether it was met and by how much.

use serde::Serialize;
use serde_json::Value;

/// One goal of issue 8 against this run.
#[derive(Debug, Clone, Serialize)]
pub struct GoalRow {
    /// Scenario.
    pub scenario: &'static str,
    /// What is measured.
    pub figure: &'static str,
    /// The measured value (absent when the scenario or a raw limit did not run).
    pub value: Option<f64>,
    /// Its unit.
    pub unit: &'static str,
    /// The goal in words.
    pub goal: String,
    /// The bound the value is compared to.
    pub target: Option<f64>,
    /// Whether the goal holds (absent when not measured).
    pub met: Option<bool>,
    /// `value / target`.
    pub ratio: Option<f64>,
    /// By how much it was met or missed, in words.
    pub margin: String,
}

/// Direction of a goal.
#[derive(Clone, Copy)]
enum Want {
    AtLeast,
    AtMost,
}

fn row(
    scenario: &'static str,
    figure: &'static str,
    unit: &'static str,
    value: Option<f64>,
    want: Want,
    target: Option<f64>,
    goal: String,
) -> GoalRow {
    let (met, ratio, margin) = match (value, target) {
        (Some(value), Some(target)) => {
            let ratio = if target == 0.0 {
                None
            } else {
                Some(value / target)
            };
            let met = match want {
                Want::AtLeast => value >= target,
                Want::AtMost => value <= target,
            };
            let gap = (value - target).abs();
            let margin = match (want, met, ratio) {
                (_, _, None) => format!("{} {gap:.1} {unit}", if met { "met" } else { "off by" }),
                (Want::AtLeast, true, Some(r)) => format!("{r:.2}× the goal"),
                (Want::AtLeast, false, Some(r)) => {
                    format!(
                        "short by {} ({:.0} % of the goal)",
                        fmt(Some(gap), unit),
                        r * 100.0
                    )
                }
                (Want::AtMost, true, Some(r)) => format!("{:.0} % of the bound", r * 100.0),
                (Want::AtMost, false, Some(r)) => {
                    format!("over by {} ({r:.2}× the bound)", fmt(Some(gap), unit))
                }
            };
            (Some(met), ratio, margin)
        }
        _ => (None, None, "not measured".to_string()),
    };
    GoalRow {
        scenario,
        figure,
        value,
        unit,
        goal,
        target,
        met,
        ratio,
        margin,
    }
}

fn at(value: &Value, pointer: &str) -> Option<f64> {
    value
        .pointer(pointer)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// Every goal of issue 8, from the raw limits and scenario figures of `report` (JSON).
pub fn judge(report: &Value) -> Vec<GoalRow> {
    let raw = |pointer: &str| at(report, &format!("/raw{pointer}"));
    let scenario = |name: &str, pointer: &str| at(report, &format!("/scenarios/{name}{pointer}"));
    let ctp = raw("/broker_consume_transform_produce/per_second");
    let pg = match (
        raw("/postgres_copy/per_second"),
        raw("/postgres_insert/per_second"),
    ) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let ch = raw("/clickhouse_insert/per_second");
    let hello = raw("/http_hello/per_second");
    let share = |limit: Option<f64>, part: f64| limit.map(|l| l * part);
    let checkout_rate = match (
        scenario("checkout", "/closed/orders_confirmed"),
        scenario("checkout", "/closed/seconds"),
    ) {
        (Some(orders), Some(seconds)) if seconds > 0.0 => Some(orders / seconds),
        _ => None,
    };
    vec![
        row(
            "commands",
            "stock adjustments, closed loop",
            "commands/s",
            scenario("commands", "/closed/per_second"),
            Want::AtLeast,
            share(ctp, 0.3),
            format!(
                "≥ 30 % of raw consume-transform-produce ({})",
                fmt(share(ctp, 0.3), "msg/s")
            ),
        ),
        row(
            "commands",
            "p99 at half load",
            "ms",
            scenario("commands", "/open/latency/p99_ms"),
            Want::AtMost,
            Some(50.0),
            "≤ 50 ms".into(),
        ),
        row(
            "checkout",
            "orders confirmed, closed loop",
            "orders/s",
            checkout_rate,
            Want::AtLeast,
            Some(1_000.0),
            "≥ 1,000 orders/s".into(),
        ),
        row(
            "checkout",
            "p99 to confirmed at half load",
            "ms",
            scenario("checkout", "/open/to_confirmed/p99_ms"),
            Want::AtMost,
            Some(150.0),
            "≤ 150 ms".into(),
        ),
        row(
            "flash-sale",
            "oversold units",
            "units",
            scenario("flash-sale", "/oversold"),
            Want::AtMost,
            Some(0.0),
            "0".into(),
        ),
        row(
            "flash-sale",
            "time to settle",
            "s",
            scenario("flash-sale", "/settle_seconds"),
            Want::AtMost,
            Some(10.0),
            "≤ 10 s".into(),
        ),
        row(
            "projection",
            "events into Postgres read models",
            "events/s",
            scenario("projection", "/throughput/postgres_events_per_second"),
            Want::AtLeast,
            share(pg, 0.4),
            format!(
                "≥ 40 % of raw Postgres rows ({})",
                fmt(share(pg, 0.4), "rows/s")
            ),
        ),
        row(
            "projection",
            "events into ClickHouse",
            "events/s",
            scenario("projection", "/throughput/clickhouse_events_per_second"),
            Want::AtLeast,
            share(ch, 0.4),
            format!(
                "≥ 40 % of raw ClickHouse rows ({})",
                fmt(share(ch, 0.4), "rows/s")
            ),
        ),
        row(
            "projection",
            "freshness p99 (committed → visible in GraphQL)",
            "ms",
            scenario("projection", "/freshness/latency/p99_ms"),
            Want::AtMost,
            Some(100.0),
            "≤ 100 ms".into(),
        ),
        row(
            "replay",
            "1,000,000 events rebuilt (projected from the rate)",
            "s",
            scenario("replay", "/projected_seconds_for_1m"),
            Want::AtMost,
            Some(60.0),
            "≤ 60 s".into(),
        ),
        row(
            "graphql",
            "product page, closed loop",
            "req/s",
            scenario("graphql", "/product_page/closed/per_second"),
            Want::AtLeast,
            Some(3_000.0),
            "≥ 3,000 req/s".into(),
        ),
        row(
            "graphql",
            "product page vs raw axum hello-world",
            "req/s",
            scenario("graphql", "/product_page/closed/per_second"),
            Want::AtLeast,
            share(hello, 0.2),
            format!("≥ 20 % of raw HTTP ({})", fmt(share(hello, 0.2), "req/s")),
        ),
        row(
            "graphql",
            "product page p99 at half load",
            "ms",
            scenario("graphql", "/product_page/open/latency/p99_ms"),
            Want::AtMost,
            Some(30.0),
            "≤ 30 ms".into(),
        ),
    ]
}

/// A number with thousands separators and a unit, or "n/a".
pub fn fmt(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) if v.is_finite() => {
            let text = if v.abs() >= 100.0 {
                group(v.round() as i64)
            } else {
                format!("{v:.1}")
            };
            format!("{text} {unit}")
        }
        _ => "n/a".into(),
    }
}

fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn goals_are_met_or_missed_with_their_margin() {
        let report = json!({
            "raw": { "broker_consume_transform_produce": { "per_second": 10_000.0 } },
            "scenarios": {
                "commands": { "closed": { "per_second": 2_000.0 }, "open": { "latency": { "p99_ms": 80.0 } } },
                "flash-sale": { "oversold": 0, "settle_seconds": 4.0 }
            }
        });
        let goals = judge(&report);
        let commands = &goals[0];
        assert_eq!(commands.met, Some(false));
        assert_eq!(commands.target, Some(3_000.0));
        assert!(commands.margin.contains("67 %"), "{}", commands.margin);
        assert_eq!(goals[1].met, Some(false));
        assert!(goals[1].margin.contains("1.60×"), "{}", goals[1].margin);
        assert_eq!(goals[4].met, Some(true));
        assert_eq!(goals[5].met, Some(true));
        assert_eq!(goals[2].met, None, "checkout did not run");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(fmt(Some(1_234_567.4), "x"), "1,234,567 x");
        assert_eq!(fmt(Some(12.345), "ms"), "12.3 ms");
        assert_eq!(fmt(None, "ms"), "n/a");
    }
}
