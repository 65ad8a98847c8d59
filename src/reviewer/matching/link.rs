//! Links between minders of different tips: the evidence of [`compare`] on their names,
//! plus what else the tips agree on (role, city, worksite, employer), as one score and one
//! reason. This is what cases will group by.
//!
//! Must never: link two minders whose names disagree, or two unnamed minders on role alone
//! — an unnamed minder is linked only at the same worksite, with the same role.

use super::compare::{compare, Match};
use super::entities::{Minder, TipEntities};
use super::gazetteer::Gazetteer;
use super::roles::Role;

/// Weights: a name match counts for most; agreement on role and place add to it.
mod weight {
    /// The name's own score is scaled by this.
    pub const NAME: f32 = 0.6;
    /// The same role on both sides.
    pub const ROLE: f32 = 0.1;
    /// Roles given on both sides, none shared.
    pub const ROLE_DIFFERS: f32 = -0.15;
    /// The same city.
    pub const CITY: f32 = 0.1;
    /// The same worksite (by name).
    pub const SITE: f32 = 0.15;
    /// The same employer.
    pub const EMPLOYER: f32 = 0.05;
}

/// Whether minder `ma` of tip `a` may be minder `mb` of tip `b`, and why.
pub fn link_minders(a: &TipEntities, ma: &Minder, b: &TipEntities, mb: &Minder) -> Option<Match> {
    let mut score = 0.0;
    let mut reasons: Vec<String> = Vec::new();
    match (&ma.name, &mb.name) {
        (Some(x), Some(y)) => {
            let m = compare(x, y)?;
            score += weight::NAME * m.score;
            reasons.push(m.reason);
        }
        _ => reasons.push("no name on one side".to_string()),
    }
    let shared: Vec<Role> = ma
        .roles
        .iter()
        .filter(|r| mb.roles.contains(r))
        .copied()
        .collect();
    if !shared.is_empty() {
        score += weight::ROLE;
        let labels: Vec<String> = shared.iter().map(|r| format!("'{}'", r.label())).collect();
        reasons.push(format!("both {}", labels.join(", ")));
    } else if !ma.roles.is_empty() && !mb.roles.is_empty() {
        score += weight::ROLE_DIFFERS;
        reasons.push("roles differ".to_string());
    }
    let same_city = a.worksite.place.is_some() && a.worksite.place == b.worksite.place;
    if same_city {
        score += weight::CITY;
        let name = a
            .worksite
            .place
            .as_deref()
            .and_then(|id| Gazetteer::builtin().by_id(id))
            .map_or("", |p| p.name());
        reasons.push(format!("same city ({name})"));
    }
    let agree = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => compare(x, y).is_some_and(|m| m.score >= 0.85) || x == y,
        _ => false,
    };
    let same_site = agree(&a.worksite.name, &b.worksite.name);
    if same_site {
        score += weight::SITE;
        reasons.push("same worksite".to_string());
    }
    if agree(&a.worksite.employer, &b.worksite.employer) {
        score += weight::EMPLOYER;
        reasons.push("same employer".to_string());
    }
    let named = ma.name.is_some() && mb.name.is_some();
    if !named && (shared.is_empty() || !same_site) {
        return None;
    }
    Some(Match {
        score: score.clamp(0.0, 1.0),
        reason: reasons.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tip(city: &str, site: &str, minder: &str, role: &str) -> TipEntities {
        TipEntities::from_document(&json!({
            "worksite": {"name": site, "city": city, "country": "RU"},
            "minders": [{"name_or_alias": minder, "role": role}],
        }))
    }

    #[test]
    fn kim_the_team_leader_is_one_minder_in_korean_russian_and_english_tips() {
        let ko = tip(
            "블라디보스토크",
            "항만 주거단지 3공구",
            "김 반장",
            "security_agent",
        );
        let ru = tip(
            "Владивосток",
            "Жилой комплекс у порта",
            "бригадир Ким",
            "team_leader",
        );
        let en = tip(
            "Vladivostok",
            "Harbour housing estate",
            "Kim, the team leader",
            "other",
        );
        let ko_ru = link_minders(&ko, &ko.minders[0], &ru, &ru.minders[0]).unwrap();
        assert_eq!(
            ko_ru.reason,
            "김 → Ким (Kontsevich); surname only; both 'team leader'; same city (Vladivostok)"
        );
        let ko_en = link_minders(&ko, &ko.minders[0], &en, &en.minders[0]).unwrap();
        assert!(
            ko_en.reason.contains("김 → Kim (McCune–Reischauer"),
            "{}",
            ko_en.reason
        );
        assert!(
            ko_en.reason.contains("same city (Vladivostok)"),
            "{}",
            ko_en.reason
        );
        let ru_en = link_minders(&ru, &ru.minders[0], &en, &en.minders[0]).unwrap();
        assert!(
            ru_en.reason.contains("Kim (McCune–Reischauer"),
            "{}",
            ru_en.reason
        );
        assert!(
            ru_en.reason.contains("Ким (Kontsevich)"),
            "{}",
            ru_en.reason
        );
    }

    #[test]
    fn a_different_kim_at_a_different_site_matches_on_name_only_and_scores_lower() {
        let ko = tip(
            "블라디보스토크",
            "항만 주거단지 3공구",
            "김 반장",
            "security_agent",
        );
        let ru = tip(
            "Владивосток",
            "Жилой комплекс у порта",
            "бригадир Ким",
            "team_leader",
        );
        let other = tip("Хабаровск", "Лесоучасток 12", "Ким", "interpreter");
        let same = link_minders(&ko, &ko.minders[0], &ru, &ru.minders[0]).unwrap();
        let different = link_minders(&ko, &ko.minders[0], &other, &other.minders[0]).unwrap();
        assert!(
            different.score < same.score,
            "{} vs {}",
            different.score,
            same.score
        );
        assert!(
            !different.reason.contains("same city"),
            "{}",
            different.reason
        );
        assert!(
            different.reason.contains("roles differ"),
            "{}",
            different.reason
        );
        assert!(
            different.score < 0.5,
            "a name alone is a weak link: {}",
            different.score
        );
    }

    #[test]
    fn unnamed_minders_link_only_at_the_same_site_with_the_same_role() {
        let a = tip(
            "Gdańsk",
            "Stocznia — hala B",
            "kierownik grupy",
            "security_agent",
        );
        let b = tip("Gdansk", "Stocznia — hala B", "nadzorca", "security_agent");
        let c = tip("Gdansk", "Port, nabrzeże 4", "nadzorca", "security_agent");
        assert!(link_minders(&a, &a.minders[0], &b, &b.minders[0]).is_some());
        assert!(link_minders(&a, &a.minders[0], &c, &c.minders[0]).is_none());
    }

    #[test]
    fn different_names_are_not_linked_even_at_one_site() {
        let a = tip("Vladivostok", "Site 3", "Kim", "team_leader");
        let b = tip("Vladivostok", "Site 3", "Pak", "team_leader");
        assert!(link_minders(&a, &a.minders[0], &b, &b.minders[0]).is_none());
    }
}
