//! The in-memory inverted index over the tips a reviewer holds, ranked with BM25.
//!
//! Built from the opened tips at start-up and kept current one document at a time
//! ([`Index::upsert`], [`Index::remove`]). A query matches a tip when every query word
//! matches (AND); the score is the BM25 sum of the matched terms, each field's terms
//! counted with the field's [`Weight`].
//!
//! Must never: be written to disk (it holds the words of opened tips; the only copy at
//! rest is the encrypted store), or log a query or a term.

use std::collections::HashMap;

use super::tokenize::{for_each_doc_term, query_words, WordCache};
use super::{Facets, Filter};
use crate::domain::TipId;

/// How much a field counts: a title or a name more than the body. Finite, above zero.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Weight(f32);

impl Weight {
    /// The weight of an ordinary field (free text).
    pub const NORMAL: Weight = Weight(1.0);
    /// A place: city, address.
    pub const PLACE: Weight = Weight(1.5);
    /// A name: worksite, employer, agency, minder.
    pub const NAME: Weight = Weight(2.0);

    /// A weight; anything not finite or not above zero becomes [`Weight::NORMAL`].
    pub fn new(w: f32) -> Self {
        if w.is_finite() && w > 0.0 {
            Weight(w)
        } else {
            Self::NORMAL
        }
    }

    /// The number.
    pub fn get(self) -> f32 {
        self.0
    }
}

/// BM25's usual constants.
const K1: f32 = 1.2;
const B: f32 = 0.75;

type Slot = u32;

struct Doc {
    tip: TipId,
    /// Weighted number of terms, for length normalisation.
    len: f32,
    /// Distinct terms, to take the document out of the postings again.
    terms: Vec<String>,
}

/// An in-memory search index of tips.
#[derive(Default)]
pub struct Index {
    /// Term → (slot, weighted term frequency). A vector: searching walks it far more
    /// often than removing a tip edits it.
    postings: HashMap<String, Vec<(Slot, f32)>>,
    docs: Vec<Option<Doc>>,
    slots: HashMap<TipId, Slot>,
    free: Vec<Slot>,
    total_len: f64,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Index({} tips, {} terms)",
            self.len(),
            self.postings.len()
        )
    }
}

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tips indexed.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no tip is indexed.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Indexes `tip` from its fields, replacing what was indexed for it before.
    pub fn upsert(&mut self, tip: TipId, fields: &[(Weight, &str)]) {
        self.remove(&tip);
        let mut tf: HashMap<String, f32> = HashMap::new();
        let mut len = 0f32;
        let mut cache = WordCache::new();
        for (w, text) in fields {
            for_each_doc_term(text, &mut cache, |t| {
                match tf.get_mut(t) {
                    Some(f) => *f += w.get(),
                    None => {
                        tf.insert(t.to_string(), w.get());
                    }
                }
                len += w.get();
            });
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.docs.push(None);
                Slot::try_from(self.docs.len() - 1).expect("fewer than 4 billion tips")
            }
        };
        let mut terms = Vec::with_capacity(tf.len());
        for (t, f) in tf {
            self.postings.entry(t.clone()).or_default().push((slot, f));
            terms.push(t);
        }
        self.docs[slot as usize] = Some(Doc { tip, len, terms });
        self.slots.insert(tip, slot);
        self.total_len += f64::from(len);
    }

    /// Takes `tip` out of the index; whether it was there.
    pub fn remove(&mut self, tip: &TipId) -> bool {
        let Some(slot) = self.slots.remove(tip) else {
            return false;
        };
        if let Some(doc) = self.docs[slot as usize].take() {
            for t in &doc.terms {
                if let Some(p) = self.postings.get_mut(t) {
                    p.retain(|(s, _)| *s != slot);
                    if p.is_empty() {
                        self.postings.remove(t);
                    }
                }
            }
            self.total_len -= f64::from(doc.len);
        }
        self.free.push(slot);
        true
    }

    /// [`Index::search`], keeping only the tips whose facets pass `filter`; a tip
    /// `facets` knows nothing about is left out.
    pub fn search_filtered<'f>(
        &self,
        query: &str,
        filter: &Filter,
        facets: impl Fn(&TipId) -> Option<&'f Facets>,
    ) -> Vec<(TipId, f32)> {
        let mut hits = self.search(query);
        hits.retain(|(tip, _)| facets(tip).is_some_and(|f| filter.matches(f)));
        hits
    }

    /// The tips matching every word of `query`, best first (ties by tip id). An empty
    /// query (or one with no words) matches nothing: list with a filter instead.
    pub fn search(&self, query: &str) -> Vec<(TipId, f32)> {
        let words = query_words(query);
        if words.is_empty() || self.is_empty() {
            return Vec::new();
        }
        let n = self.len() as f32;
        let avg_len = (self.total_len / self.len() as f64).max(1.0) as f32;
        // Dense per-slot accumulators: a tip is alive while every word so far matched.
        let slots = self.docs.len();
        let mut alive: Vec<bool> = self.docs.iter().map(Option::is_some).collect();
        let mut total = vec![0f32; slots];
        let mut count = vec![0u32; slots];
        let mut score = vec![0f32; slots];
        // BM25's length normalisation, once per tip rather than once per posting.
        let norm: Vec<f32> = self
            .docs
            .iter()
            .map(|d| K1 * (1.0 - B + B * d.as_ref().map_or(avg_len, |d| d.len) / avg_len))
            .collect();
        for w in &words {
            count.fill(0);
            score.fill(0.0);
            for t in &w.terms {
                let Some(p) = self.postings.get(t) else {
                    continue;
                };
                let df = p.len() as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                for &(slot, tf) in p {
                    let i = slot as usize;
                    if !alive[i] {
                        continue;
                    }
                    count[i] += 1;
                    score[i] += idf * tf * (K1 + 1.0) / (tf + norm[i]);
                }
            }
            let mut any = false;
            for i in 0..slots {
                if alive[i] && count[i] as usize >= w.need {
                    total[i] += score[i];
                    any = true;
                } else {
                    alive[i] = false;
                }
            }
            if !any {
                return Vec::new();
            }
        }
        let mut out: Vec<(TipId, f32)> = (0..slots)
            .filter(|&i| alive[i])
            .filter_map(|i| Some((self.docs[i].as_ref()?.tip, total[i])))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}
