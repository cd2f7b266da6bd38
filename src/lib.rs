//! helm-harden: gate Helm changes to the Gloo Edge gateway.
//!
//! The pipeline is the layout: [`render`] (helm template) → [`parse`] (documents, embedded
//! objects) → [`check`] (the [`rules`] over the [`model`], values-line location) → [`report`].
//! [`cli`] is a thin layer on top.

pub mod chart;
pub mod check;
pub mod model;
pub mod parse;
pub mod rules;
pub mod yaml;
