//! Check step: runs every rule over the model of a render.

use crate::chart::ChartInfo;
use crate::model::Model;
use crate::parse::Doc;
use crate::rules::{Outcome, Rule, Status, RULES};

/// All outcomes of one rule.
#[derive(Debug)]
pub struct RuleResult<'a> {
    pub rule: &'static Rule,
    pub outcomes: Vec<Outcome<'a>>,
}

impl RuleResult<'_> {
    /// The rule's overall status: FAIL if any result fails, else PASS if any passes, else
    /// ADVISORY if any is advice, else NA (also when nothing was inspected).
    pub fn status(&self) -> Status {
        aggregate(self.outcomes.iter().map(|o| o.status))
    }
}

pub fn aggregate(statuses: impl Iterator<Item = Status> + Clone) -> Status {
    [Status::Fail, Status::Pass, Status::Advisory]
        .into_iter()
        .find(|s| statuses.clone().any(|x| x == *s))
        .unwrap_or(Status::Na)
}

/// Runs every rule on `docs`.
pub fn evaluate<'a>(docs: &'a [Doc], chart: &ChartInfo) -> Vec<RuleResult<'a>> {
    let model = Model::new(docs, chart.gloo_version);
    RULES.iter().map(|rule| RuleResult { rule, outcomes: (rule.check)(&model) }).collect()
}
