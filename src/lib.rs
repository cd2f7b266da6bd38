//! helm-harden: gate Helm changes to the Gloo Edge gateway.
//!
//! The pipeline is the layout, one folder per stage:
//!
//! | stage | module | its one job |
//! |---|---|---|
//! | render | [`render`] | run `helm template` (its [`cache`](render::cache) in front, signals in [`interrupt`](render::interrupt)) |
//! | parse | [`parse`] | the manifest stream, `# Source:` and embedded objects, on the span-aware [`yaml`](parse::yaml) tree; the [`model`](parse::model) of proxies, Gateways and Settings; chart facts; the user's values files |
//! | check | [`check`] | run the [`rules`] over the model; locate each fix in the values; the values [`schema`](check::schema) |
//! | harden | [`harden`] | the hardened [`overlay`](harden::overlay), its render [`diff`](harden::diff) and proof, [`fix`](harden::fix) of the user's files through [`values_edit`](harden::values_edit) |
//! | report | [`report`] | text, JSON, SARIF, JUnit, GitHub annotations and job summary |
//! | github | [`github`] | the pull-request review over the REST API |
//! | gate | [`gate`] | pre-commit hook, discovery, `init`, base-of-change comparison, baseline |
//!
//! [`pipeline`] plans the targets and runs render → parse → check for each; [`cli`] is a thin
//! layer on top; [`config`] is `.helm-harden.yaml`; [`docs`] generates the rule documentation;
//! [`error`] is the one error type.

pub mod check;
pub mod cli;
pub mod config;
pub mod docs;
pub mod error;
pub mod escape;
pub mod gate;
pub mod github;
pub mod harden;
pub mod parse;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod rules;
#[cfg(test)]
mod test_files;
