//! Suggested groups over many tips, fast: tips are compared only inside blocks that share a
//! comparison key ([`blocking_keys`]: city + a minder's surname and role, city + an
//! employer's or site's key), joined with union–find, and a pair is skipped when its tips
//! are already in one group or when their groups can never be joined (the cannot-link of
//! [`super::suggest`]). Each tip's keys and site signature are computed once.
//!
//! Order: blocks on a site or employer name first, then minder blocks, each block smallest
//! first; inside a block the strongest links join first. So the specific evidence (a
//! shared site name) forms groups before the weak, crowded evidence (a common surname in a
//! big city) is looked at, and most of a crowded block's pairs are then skipped.
//!
//! Must never: join two tips without a link that says why, or join two groups across a
//! cannot-link.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::reviewer::matching::sites::{blocking_keys, link_sites, SITE_LINK};

use super::suggest::{site_signature, Group, Link, SiteSignature};
use super::tip::CaseTip;

/// Groups up to this size get every internal link as a reason (at most 66 comparisons);
/// larger ones keep the links that joined them, so a reviewer still sees why each tip is in.
const ALL_REASONS_UP_TO: usize = 12;

/// Pairs of groups with at most this many pairs of tips between them are checked for a
/// cannot-link directly: cheaper than remembering the answer for every pair of lone tips
/// in a crowded block.
const ASK_DIRECTLY: usize = 4;

/// Union–find with each root's members, so a cannot-link between two groups can be checked.
struct Groups {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Groups {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            members: (0..n).map(|i| vec![i]).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins two roots; the smaller index stays the root.
    fn join(&mut self, ra: usize, rb: usize) {
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        self.parent[hi] = lo;
        let moved = std::mem::take(&mut self.members[hi]);
        self.members[lo].extend(moved);
    }
}

/// Remembers which pairs of groups can never be joined. A cannot-link only grows with the
/// groups, so a "yes" stays true while its lower root stays a root; a "no" is kept only until
/// the next join.
struct Apart<'a> {
    sigs: &'a [Option<SiteSignature>],
    never: HashSet<(usize, usize)>,
    not_yet: HashSet<(usize, usize)>,
}

impl Apart<'_> {
    fn check(&mut self, g: &Groups, ra: usize, rb: usize) -> bool {
        let (ma, mb) = (&g.members[ra], &g.members[rb]);
        if ma.len() * mb.len() <= ASK_DIRECTLY {
            return self.between(ma, mb);
        }
        let key = (ra.min(rb), ra.max(rb));
        if self.never.contains(&key) {
            return true;
        }
        if self.not_yet.contains(&key) {
            return false;
        }
        let apart = self.between(ma, mb);
        if apart {
            self.never.insert(key);
        } else {
            self.not_yet.insert(key);
        }
        apart
    }

    /// Whether a tip of `ma` and a tip of `mb` can never be joined.
    fn between(&self, ma: &[usize], mb: &[usize]) -> bool {
        let sigs = self.sigs;
        ma.iter().any(|&x| {
            sigs[x].as_ref().is_some_and(|sx| {
                mb.iter()
                    .any(|&y| sigs[y].as_ref().is_some_and(|sy| sx.apart(sy)))
            })
        })
    }

    fn joined(&mut self) {
        self.not_yet.clear();
    }
}

/// The suggested groups over `tips` (two or more tips each), largest first, each with the
/// links that explain it.
pub fn suggest(tips: &[CaseTip]) -> Vec<Group> {
    let n = tips.len();
    let sigs: Vec<Option<SiteSignature>> = tips.iter().map(site_signature).collect();
    // Blocks, each tip's keys computed once. Name blocks (site, employer) come first.
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in tips.iter().enumerate() {
        for k in blocking_keys(&t.entities) {
            blocks.entry(k).or_default().push(i);
        }
    }
    let mut order: Vec<(bool, usize, String, Vec<usize>)> = blocks
        .into_iter()
        .filter(|(_, v)| v.len() >= 2)
        .map(|(k, v)| (is_minder_block(&k), v.len(), k, v))
        .collect();
    order.sort();

    let mut groups = Groups::new(n);
    let mut apart = Apart {
        sigs: &sigs,
        never: HashSet::new(),
        not_yet: HashSet::new(),
    };
    let mut compared: HashSet<(usize, usize)> = HashSet::new();
    let mut kept: Vec<Link> = Vec::new();
    for (_, _, _, members) in &order {
        let mut links = Vec::new();
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let (ra, rb) = (groups.root(a), groups.root(b));
                if ra == rb || apart.check(&groups, ra, rb) {
                    continue;
                }
                if !compared.insert((a.min(b), a.max(b))) {
                    continue;
                }
                if let Some(m) = link_sites(&tips[a].entities, &tips[b].entities) {
                    if m.score >= SITE_LINK {
                        links.push(Link {
                            a: a.min(b),
                            b: a.max(b),
                            score: m.score,
                            reason: m.reason,
                        });
                    }
                }
            }
        }
        links.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        });
        for l in links {
            let (ra, rb) = (groups.root(l.a), groups.root(l.b));
            if ra == rb {
                kept.push(l);
            } else if !apart.check(&groups, ra, rb) {
                groups.join(ra, rb);
                apart.joined();
                kept.push(l);
            }
        }
    }
    collect(tips, &mut groups, kept, &compared)
}

/// Minder blocks are crowded (a common surname in a big city); name blocks are specific.
fn is_minder_block(key: &str) -> bool {
    !(key.contains("/site/") || key.contains("/employer/"))
}

/// Gathers the groups of two or more, adds the internal links of small groups (so a
/// reviewer sees every pair's reason there), and orders groups largest first.
fn collect(
    tips: &[CaseTip],
    groups: &mut Groups,
    kept: Vec<Link>,
    compared: &HashSet<(usize, usize)>,
) -> Vec<Group> {
    let mut by_root: BTreeMap<usize, Group> = BTreeMap::new();
    for i in 0..tips.len() {
        let r = groups.root(i);
        by_root
            .entry(r)
            .or_insert_with(|| Group {
                members: Vec::new(),
                links: Vec::new(),
            })
            .members
            .push(i);
    }
    let mut have: HashSet<(usize, usize)> = HashSet::new();
    for l in kept {
        have.insert((l.a, l.b));
        let r = groups.root(l.a);
        if let Some(g) = by_root.get_mut(&r) {
            g.links.push(l);
        }
    }
    let mut out: Vec<Group> = by_root
        .into_values()
        .filter(|g| g.members.len() >= 2)
        .collect();
    for g in &mut out {
        if g.members.len() > ALL_REASONS_UP_TO {
            continue;
        }
        for (x, &a) in g.members.iter().enumerate() {
            for &b in &g.members[x + 1..] {
                if have.contains(&(a, b)) || compared.contains(&(a, b)) {
                    continue;
                }
                if let Some(m) = link_sites(&tips[a].entities, &tips[b].entities) {
                    if m.score >= SITE_LINK {
                        g.links.push(Link {
                            a,
                            b,
                            score: m.score,
                            reason: m.reason,
                        });
                    }
                }
            }
        }
        g.links.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        });
    }
    out.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then(x.members.cmp(&y.members))
    });
    out
}
