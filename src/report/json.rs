//! `--format json`: a stable, documented shape (version 1).
//!
//! ```json
//! {"version":1,"chart":{"name","version","path"},"findings":[{"rule","severity","status","title",
//!  "message","object":{"apiVersion","kind","name","namespace","template","embedded_in","line"},
//!  "fix":{"values_path","value","file","line","exact"} | null}],
//!  "summary":{"fail","pass","na","advisory","suppressed"}}
//! ```
//! `findings` holds the failures (suppressed ones included, marked `suppressed`); with `--all`
//! also passes, NA (with the reason in `message`) and advisories. Several targets print one
//! document with a `reports` array of the above.

use crate::check::{CheckReport, Finding};
use crate::rules::Status;
use serde_json::{json, Value};

pub fn report_value(report: &CheckReport, all: bool) -> Value {
    let findings: Vec<&Finding> = report.findings.iter().filter(|f| all || f.status == Status::Fail).collect();
    let mut doc = json!({
        "version": 1,
        "chart": {
            "name": report.chart.name,
            "version": report.chart.gloo_version.map(|v| v.to_string()),
            "path": report.chart.path.as_ref().map(|p| p.display().to_string()),
        },
        "findings": findings,
        "summary": report.summary,
    });
    if let Some(target) = &report.target {
        doc["target"] = json!(target);
    }
    if !report.warnings.is_empty() {
        doc["warnings"] = json!(report.warnings);
    }
    doc
}

pub fn render(reports: &[CheckReport], all: bool) -> String {
    let value = match reports {
        [one] => report_value(one, all),
        many => json!({"version": 1, "reports": many.iter().map(|r| report_value(r, all)).collect::<Vec<_>>()}),
    };
    let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
    out.push('\n');
    out
}
