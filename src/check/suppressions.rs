//! Suppressions applied to findings: the config's and the values files' inline ones, with
//! their expiry and the warning for one that matched nothing.

use super::{Finding, FixSuggestion, ObjectRef, Warning, CONFIG_KIND};
use crate::config::Config;
use crate::parse::values::ValuesFile;
use crate::rules::{Rule, Status, CONFIG_RULE};
use std::sync::Arc;

/// The suppressions of a run: the config's (by rule and `Kind/name`) and the values files'
/// inline ones (by rule and the values line a failure's fix goes to). Each is marked used when
/// it matches a failure, expired or not; [`Suppressions::finish`] reports the expired ones as
/// HH-CONFIG failures at their line and the unused ones as warnings.
pub(super) struct Suppressions<'a> {
    config: &'a Config,
    inline: Vec<(&'a ValuesFile, &'a crate::config::InlineSuppression)>,
    used_config: Vec<bool>,
    used_inline: Vec<bool>,
    today: &'a str,
}

impl<'a> Suppressions<'a> {
    pub(super) fn new(config: &'a Config, files: &'a [ValuesFile], today: &'a str) -> Self {
        let inline: Vec<_> =
            files.iter().flat_map(|f| f.suppressions.iter().map(move |s| (f, s))).collect();
        Suppressions {
            config,
            used_config: vec![false; config.suppressions.len()],
            used_inline: vec![false; inline.len()],
            inline,
            today,
        }
    }

    /// Why a failure of `rule` on `object`, fixed by `fix`, is suppressed, when a suppression
    /// that has not expired matches it: the config's first, else one on the fix's values line
    /// (its reason followed by where it is written).
    pub(super) fn reason(
        &mut self,
        rule: &Rule,
        object: &ObjectRef,
        fix: Option<&FixSuggestion>,
    ) -> Option<String> {
        if let Some((i, s)) = self.config.suppression_for(rule.id, &object.kind_name()) {
            self.used_config[i] = true;
            return (!s.expired(self.today)).then(|| s.reason.clone());
        }
        let fix = fix.filter(|f| f.set.is_none())?;
        let (file, line) = (fix.file.as_deref()?, fix.line?);
        let i = self.inline.iter().position(|(f, s)| {
            s.key_line == line
                && s.suppression.rule == rule.id
                && f.path.display().to_string() == file
        })?;
        self.used_inline[i] = true;
        let s = &self.inline[i].1.suppression;
        (!s.expired(self.today)).then(|| format!("{} ({file}:{})", s.reason, s.line))
    }

    /// HH-CONFIG failures for the expired suppressions (when the rule is on) and warnings for
    /// those that matched nothing.
    pub(super) fn finish(self, findings: &mut Vec<Finding>, warnings: &mut Vec<Warning>) {
        let config_file = self.config.path.as_ref().map(|p| p.display().to_string());
        let config_severity = self.config.severity_of(&CONFIG_RULE);
        let config = self
            .config
            .suppressions
            .iter()
            .zip(self.used_config)
            .map(|(s, used)| (s, used, config_file.clone(), ""));
        let inline = self.inline.iter().zip(self.used_inline).map(|((f, s), used)| {
            (&s.suppression, used, Some(f.path.display().to_string()), "inline ")
        });
        for (s, used, file, what) in config.chain(inline) {
            if s.expired(self.today) {
                let Some(severity) = config_severity else { continue };
                findings.push(Finding {
                    rule: CONFIG_RULE.id,
                    severity,
                    status: Status::Fail,
                    title: CONFIG_RULE.title,
                    message: format!(
                        "{what}suppression of {} for {} expired on {} (reason was: {})",
                        s.rule,
                        s.object,
                        s.expires.as_deref().unwrap_or("?"),
                        s.reason
                    ),
                    object: Arc::new(ObjectRef {
                        api_version: String::new(),
                        kind: CONFIG_KIND.into(),
                        name: format!("{} for {}", s.rule, s.object),
                        namespace: None,
                        template: file,
                        embedded_in: None,
                        line: s.line,
                    }),
                    fix: None,
                    suppressed: None,
                    pin: None,
                    change: None,
                    no_fix: None,
                });
            } else if !used {
                warnings.push(Warning {
                    file,
                    line: Some(s.line),
                    message: format!(
                        "{what}suppression of {} for {} matched nothing",
                        s.rule, s.object
                    ),
                });
            }
        }
    }
}
