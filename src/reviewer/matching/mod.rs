//! Matching across scripts: the pure library under cases, exports and the desk.
//!
//! Tips name the same person as "김 반장", "Ким" and "Kim, the team leader", and the same
//! city as 블라디보스토크, Владивосток, 海参崴 and Vladivostok. This module turns names
//! in any script into comparison keys, resolves places through a gazetteer and surnames
//! through a variant table, and says *why* two mentions match, in words a reviewer can
//! check.
//!
//! - [`romanize`]: Hangul → RR, McCune–Reischauer, DPRK 1992, Kontsevich (Cyrillic).
//! - [`arabic`]: Arabic → Latin for names, and vowel-less keys.
//! - [`pinyin`]: Hanzi → pinyin with every reading.
//! - [`names`]: Korean surnames and their variants; role words; honorifics.
//! - [`gazetteer`]: places and their names in the seven page languages; sectors.
//! - [`keys`]: comparison keys that merge what romanizations confuse.
//! - [`compare`]: `compare(a, b)` → a score and a reason.
//! - [`employer`]: employers' names without legal forms; contracted compounds.
//! - [`entities`]: worksites, minders, dates and conditions from a tip document.
//! - [`link`]: minders of two tips linked on name, role, city, worksite and employer.
//! - [`sites`]: two tips linked as one worksite (city, sector, time, minder, employer).
//!
//! Must never: do I/O, touch the network, the terminal or any key; everything here runs on
//! the reviewer's machine on text it is given.

pub mod arabic;
pub mod compare;
pub mod employer;
pub mod entities;
pub mod gazetteer;
pub mod keys;
pub mod link;
pub mod names;
pub mod pinyin;
pub mod roles;
pub mod romanize;
pub mod sectors;
pub mod sites;

pub use compare::{compare, Match};

/// What can go wrong in the matching library: only its data can be malformed.
#[derive(Debug, thiserror::Error)]
pub enum MatchingError {
    /// A gazetteer file does not follow the format of `places.tsv`.
    #[error("gazetteer line {line}: {problem}; fix the line (format: id, kind, country, names separated by ';')")]
    Gazetteer {
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
}
