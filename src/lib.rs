//! helm-harden: gate Helm changes to the Gloo Edge gateway.
//!
//! The pipeline is the layout: [`render`] (helm template) → [`parse`] (documents, embedded
//! objects, on the span-aware [`yaml`] tree) → [`check`] (the [`rules`] over the [`model`],
//! fixes located in the user's [`values`] and written into them by [`values_edit`]) →
//! [`report`]. [`cli`] is a thin layer on top;
//! [`config`] is `.helm-harden.yaml`; [`docs`] generates rule documentation.

pub mod base_ref;
pub mod baseline;
pub mod cache;
pub mod chart;
pub mod check;
pub mod cli;
pub mod compare;
pub mod config;
pub mod diff;
pub mod discover;
pub mod docs;
pub mod error;
pub mod fix;
pub mod github;
pub mod harden;
pub mod hook;
pub mod init;
pub mod input;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod overlay;
pub mod parse;
pub mod pipeline;
pub mod predict;
pub mod proxy_values;
pub mod render;
pub mod report;
pub mod rules;
pub mod schema;
#[cfg(test)]
mod test_files;
pub mod values;
pub mod values_edit;
pub mod yaml;
