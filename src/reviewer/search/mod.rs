//! Search and filters over the tips on the reviewer's machine.
//!
//! [`Index`] is an in-memory inverted index built from the opened tips (rebuilt at
//! start-up from the encrypted store, never written anywhere), with a tokenizer for the
//! languages tips arrive in: Korean, Chinese/Japanese, Russian, Polish, Dutch, Arabic and
//! English ([`tokenize`], [`lang`]). [`Filter`] narrows the list by [`Facets`] (triage
//! state, worksite, dates).
//!
//! Must never: persist the index or a query, or do I/O of any kind.

mod fields;
mod filter;
mod index;
pub mod lang;
pub mod tokenize;

pub use fields::{followup_fields, tip_fields, worksite_facets};
pub use filter::{Assignee, Facets, Filter};
pub use index::{Index, Weight};

#[cfg(test)]
mod tests;
