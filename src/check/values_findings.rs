//! The findings of the values checks (VALUES-*): a values-schema issue or a CRD-pruned field
//! turned into a finding at the user's values line.

use super::{Finding, FixSuggestion, ObjectRef, Suppressions, ValuesContext, VALUES_KIND};
use crate::config::Config;
use crate::parse::Doc;
use crate::rules::{Rule, Status};
use std::sync::Arc;

/// A problem in the user's values (VALUES-*) as a finding at its values line, suppressible by
/// rule and `Values/<path>` like any other; None when the config turns its rule off.
pub(super) fn values_finding(
    issue: crate::check::schema::values_check::ValuesIssue,
    config: &Config,
    suppressions: &mut Suppressions<'_>,
) -> Option<Finding> {
    use crate::check::schema::values_check::IssueFix;
    let rule = values_rule(issue.kind);
    let severity = config.severity_of(rule)?;
    let object = Arc::new(ObjectRef {
        api_version: String::new(),
        kind: VALUES_KIND.into(),
        name: issue.path.clone(),
        namespace: None,
        template: (!issue.from_set).then(|| issue.file.clone()),
        embedded_in: None,
        line: issue.line,
    });
    // A fix on a list element's key is left to the message: the values line editor works on
    // mapping keys.
    let fix = issue.fix.filter(|_| !issue.from_set && !issue.path.contains('[')).map(|fix| {
        let (values_path, value, renames) = match fix {
            IssueFix::Rename { path, value } => (path, value, Some(issue.path.clone())),
            IssueFix::Value(value) => (issue.path.clone(), value, None),
        };
        FixSuggestion {
            values_path,
            value: Arc::new(value),
            file: Some(issue.file.clone()),
            line: Some(issue.line),
            exact: true,
            set: None,
            renames,
        }
    });
    // Where the key is, whether or not there is a fix: an inline suppression goes on its line.
    let at = FixSuggestion {
        values_path: issue.path.clone(),
        value: Arc::new(serde_json::Value::Null),
        file: (!issue.from_set).then(|| issue.file.clone()),
        line: Some(issue.line),
        exact: true,
        set: None,
        renames: None,
    };
    let suppressed = suppressions.reason(rule, &object, Some(fix.as_ref().unwrap_or(&at)));
    Some(Finding {
        rule: rule.id,
        severity,
        status: Status::Fail,
        title: rule.title,
        message: issue.message,
        object,
        fix: fix.map(Box::new),
        suppressed,
        pin: None,
        change: None,
        no_fix: None,
    })
}

/// The rule that reports a kind of values issue.
pub(super) fn values_rule(kind: crate::check::schema::values_check::IssueKind) -> &'static Rule {
    use crate::check::schema::values_check::IssueKind;
    use crate::rules::{
        VALUES_DUPLICATE_KEY, VALUES_OTHER_VERSION, VALUES_PRUNED_FIELD, VALUES_REFUSED_VALUE,
        VALUES_TYPE, VALUES_UNKNOWN_KEY,
    };
    match kind {
        IssueKind::UnknownKey => &VALUES_UNKNOWN_KEY,
        IssueKind::OtherVersion => &VALUES_OTHER_VERSION,
        IssueKind::WrongType => &VALUES_TYPE,
        IssueKind::DuplicateKey => &VALUES_DUPLICATE_KEY,
        IssueKind::Pruned => &VALUES_PRUNED_FIELD,
        IssueKind::Rejected => &VALUES_REFUSED_VALUE,
    }
}

/// The fields of rendered custom resources that their CRDs prune or refuse (VALUES-005/006):
/// at the values key each came from, else at the render. A values key that reaches several
/// objects (a default proxy's block merged into others) is one finding.
pub(super) fn resource_findings(
    docs: &[Doc],
    values: &ValuesContext,
    config: &Config,
    suppressions: &mut Suppressions<'_>,
) -> Vec<Finding> {
    use crate::check::schema::resources;
    let Some(crds) = &values.crds else { return Vec::new() };
    let mut findings = Vec::new();
    let mut at_values = std::collections::HashSet::new();
    let issues = resources::check_resources(docs, crds);
    // The user's keys a field can come from: one walk of the values files, not one per field.
    let spots = if issues.is_empty() {
        Vec::new()
    } else {
        resources::spots(&values.files, values.schema.as_deref())
    };
    for issue in issues {
        if let Some(in_values) = resources::at_values_line(&issue, &spots) {
            if at_values.insert((in_values.file.clone(), in_values.line, in_values.path.clone())) {
                findings.extend(values_finding(in_values, config, suppressions));
            }
            continue;
        }
        let rule = values_rule(issue.kind);
        let Some(severity) = config.severity_of(rule) else { continue };
        let object = Arc::new(ObjectRef::of(issue.doc, Some(issue.line)));
        let suppressed = suppressions.reason(rule, &object, None);
        findings.push(Finding {
            rule: rule.id,
            severity,
            status: Status::Fail,
            title: rule.title,
            message: format!("`{}` {}", resources::dotted(&issue.path), issue.problem),
            object,
            fix: None,
            suppressed,
            pin: None,
            change: None,
            no_fix: None,
        });
    }
    findings
}
