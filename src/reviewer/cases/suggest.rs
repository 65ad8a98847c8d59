//! Suggested groups: tips linked pairwise as one worksite by `matching::sites` (a score of
//! at least [`SITE_LINK`]), joined into groups by union; each group keeps the links that
//! made it, with their scores and reasons.
//!
//! Only tips in one city are compared (`link_sites` never links two cities), so the work
//! grows with the tips per city, not with the square of all tips. Must never: join two
//! tips without a link that says why.

use std::collections::HashMap;

use crate::reviewer::matching::sites::{link_sites, SITE_LINK};

use super::tip::CaseTip;

/// One pairwise link that joined two tips.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Link {
    /// Index of one tip in the input.
    #[serde(skip)]
    pub a: usize,
    /// Index of the other.
    #[serde(skip)]
    pub b: usize,
    /// How strong, 0 to 1.
    pub score: f32,
    /// Why, in words.
    pub reason: String,
}

/// A group of linked tips (indices into the input) and the links inside it.
#[derive(Clone, Debug)]
pub struct Group {
    /// Indices, ascending.
    pub members: Vec<usize>,
    /// The links between members.
    pub links: Vec<Link>,
}

/// Every link of at least [`SITE_LINK`] between tips of the same city.
pub fn links(tips: &[CaseTip]) -> Vec<Link> {
    let mut by_place: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in tips.iter().enumerate() {
        if let Some(p) = t.entities.worksite.place.as_deref() {
            by_place.entry(p).or_default().push(i);
        }
    }
    let mut places: Vec<_> = by_place.into_iter().collect();
    places.sort();
    let mut out = Vec::new();
    for (_, idx) in places {
        for (n, &a) in idx.iter().enumerate() {
            for &b in &idx[n + 1..] {
                if let Some(m) = link_sites(&tips[a].entities, &tips[b].entities) {
                    if m.score >= SITE_LINK {
                        out.push(Link {
                            a,
                            b,
                            score: m.score,
                            reason: m.reason,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Groups of two or more tips joined by `links`, largest first.
pub fn groups(n: usize, links: Vec<Link>) -> Vec<Group> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for l in &links {
        let (ra, rb) = (root(&mut parent, l.a), root(&mut parent, l.b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut by_root: HashMap<usize, Group> = HashMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        by_root
            .entry(r)
            .or_insert_with(|| Group {
                members: Vec::new(),
                links: Vec::new(),
            })
            .members
            .push(i);
    }
    for l in links {
        let r = root(&mut parent, l.a);
        if let Some(g) = by_root.get_mut(&r) {
            g.links.push(l);
        }
    }
    let mut out: Vec<Group> = by_root
        .into_values()
        .filter(|g| g.members.len() >= 2)
        .collect();
    out.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then(x.members.cmp(&y.members))
    });
    out
}
