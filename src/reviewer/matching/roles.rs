//! Role words and honorifics in the seven page languages: "김 반장", "бригадир Ким",
//! "李经理" and "Kim, the team leader" all carry a role next to a name.
//!
//! Must never: guess a role from anything but a listed word; a reason that says "both
//! 'team leader'" must be true of the words in the tips.

use crate::domain::tip::MinderRole;

/// What a minder does, as the words for it say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 반장, бригадир, 班长, brygadzista, ploegleider, رئيس الفريق.
    TeamLeader,
    /// 지도원, 감독, надзиратель, 监视员, nadzorca, opzichter, مراقب.
    Minder,
    /// 안전원, 보위원, security agent.
    SecurityOfficer,
    /// 통역, переводчик, 翻译.
    Interpreter,
    /// 당비서, парторг, 书记.
    PartySecretary,
    /// 지배인, управляющий, 经理, kierownik, مدير.
    Manager,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::TeamLeader,
        Role::Minder,
        Role::SecurityOfficer,
        Role::Interpreter,
        Role::PartySecretary,
        Role::Manager,
    ];

    /// The role in English, as reasons quote it.
    pub fn label(self) -> &'static str {
        match self {
            Role::TeamLeader => "team leader",
            Role::Minder => "minder",
            Role::SecurityOfficer => "security officer",
            Role::Interpreter => "interpreter",
            Role::PartySecretary => "party secretary",
            Role::Manager => "manager",
        }
    }

    /// The role the tip form's closed vocabulary names.
    pub fn from_schema(role: MinderRole) -> Option<Role> {
        match role {
            MinderRole::SecurityAgent => Some(Role::SecurityOfficer),
            MinderRole::PartySecretary => Some(Role::PartySecretary),
            MinderRole::TeamLeader => Some(Role::TeamLeader),
            MinderRole::Interpreter => Some(Role::Interpreter),
            MinderRole::Other => None,
        }
    }
}

/// Every role word, in ko, ru, zh, en, pl, nl, ar (longer phrases are found first).
#[rustfmt::skip]
static WORDS: &[(Role, &[&str])] = &[
    (Role::TeamLeader, &[
        "작업반장", "반장", "조장", "책임자", "бригадир", "старший группы", "старшего группы",
        "старший", "班长", "组长", "队长", "team leader", "crew leader", "group leader",
        "foreman", "brygadzista", "kierownik grupy", "ploegleider", "voorman",
        "رئيس الفريق", "رئيس العمال", "رئيس المجموعة",
    ]),
    (Role::Minder, &[
        "지도원", "감독원", "감독", "관리원", "надзиратель", "надсмотрщик", "смотритель",
        "监视员", "监工", "监督", "minder", "supervisor", "overseer", "nadzorca",
        "nadzorczyni", "opzichter", "toezichthouder", "مراقب", "المشرف", "مشرف",
    ]),
    (Role::SecurityOfficer, &[
        "보위지도원", "보위원", "안전원", "보위부", "сотрудник безопасности", "безопасник",
        "保卫员", "安全员", "security officer", "security agent", "funkcjonariusz",
        "beveiligingsagent", "veiligheidsagent", "ضابط أمن", "رجل أمن", "رجل الأمن",
    ]),
    (Role::Interpreter, &[
        "통역원", "통역", "переводчик", "翻译", "interpreter", "translator", "tłumacz",
        "tolk", "vertaler", "مترجم",
    ]),
    (Role::PartySecretary, &[
        "당비서", "세포비서", "парторг", "секретарь парткома", "党委书记", "书记",
        "party secretary", "sekretarz partii", "partijsecretaris", "سكرتير الحزب",
    ]),
    (Role::Manager, &[
        "지배인", "사장", "управляющий", "менеджер", "директор", "经理", "老板",
        "manager", "kierownik", "menedżer", "bedrijfsleider", "مدير",
    ]),
];

/// Honorifics and forms of address, which say nothing about who someone is.
#[rustfmt::skip]
static HONORIFICS: &[&str] = &[
    "선생님", "선생", "동무", "동지", "님", "씨", "先生", "师傅", "同志", "mr.", "mr",
    "mrs.", "mrs", "ms.", "ms", "mister", "comrade", "товарищ", "господин", "г-н", "pan",
    "pani", "meneer", "dhr.", "mevrouw", "السيد", "الرفيق", "the", "our", "a",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !super::names::is_han(c) && !super::romanize::jamo::is_syllable(c)
}

/// Whether the match `start..end` of `text` stands as a word: Latin and Arabic words need a
/// boundary on both sides, Cyrillic ones on the left only (Russian declines them:
/// бригадиром); Hangul words must start a word; Hanzi words need no boundary.
fn stands_alone(text: &str, start: usize, end: usize, word: &str) -> bool {
    let is_hangul = super::romanize::has_hangul(word);
    if is_hangul {
        // Hangul takes particles after a word, not before it: a role word must start a word
        // (공사장 "building site" holds 사장 "boss"), or follow a one-syllable surname (김반장).
        let mut before = text[..start].chars().rev();
        return match (before.next(), before.next()) {
            (None, _) => true,
            (Some(c), _) if !super::romanize::jamo::is_syllable(c) => true,
            (Some(c), next) => {
                !next.is_some_and(super::romanize::jamo::is_syllable)
                    && super::names::surname(&c.to_string()).is_some()
            }
        };
    }
    let needs_boundary = word.chars().any(is_word_char);
    if !needs_boundary {
        return true;
    }
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let cyrillic = word.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c));
    let declined = cyrillic && after.is_some_and(|c| ('\u{400}'..='\u{4FF}').contains(&c)) && {
        // At most a case ending (-а, -у, -ом, -ами …), not a longer word.
        text[end..]
            .chars()
            .take_while(|c| c.is_alphabetic())
            .count()
            <= 3
    };
    !before.is_some_and(is_word_char) && (declined || !after.is_some_and(is_word_char))
}

/// A role word found in a text: its role and byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleHit {
    /// The role.
    pub role: Role,
    /// Byte offset of the word in the (lower-cased) text.
    pub start: usize,
    /// Byte offset just past the word.
    pub end: usize,
}

/// Every role word in `text`, in order, not overlapping (the longest word wins).
pub fn find_roles(text: &str) -> Vec<RoleHit> {
    let lower = text.to_lowercase();
    let mut hits: Vec<RoleHit> = Vec::new();
    let mut all: Vec<(usize, usize, Role)> = Vec::new();
    for (role, words) in WORDS {
        for w in *words {
            for (start, m) in lower.match_indices(w) {
                let end = start + m.len();
                if stands_alone(&lower, start, end, w) {
                    all.push((start, end, *role));
                }
            }
        }
    }
    all.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    for (start, end, role) in all {
        if hits.last().is_none_or(|h| start >= h.end) {
            hits.push(RoleHit { role, start, end });
        }
    }
    hits
}

/// A name with its role words and honorifics taken out: "Kim, the team leader" → ("Kim",
/// [team leader]); "Пак (старший группы)" → ("Пак", [team leader]); "李经理" → ("李", [manager]).
pub fn split_name(text: &str) -> (String, Vec<Role>) {
    let lower = text.to_lowercase();
    let hits = find_roles(text);
    let mut rest = String::new();
    let mut at = 0;
    for h in &hits {
        if h.start < at {
            continue;
        }
        rest.push_str(&lower[at..h.start]);
        rest.push(' ');
        at = h.end;
        // A particle or case ending glued to the role word (반장이, бригадиром) is not part
        // of a name.
        let glued: usize = lower[at..]
            .chars()
            .take_while(|&c| {
                super::romanize::jamo::is_syllable(c) || ('\u{400}'..='\u{4FF}').contains(&c)
            })
            .map(char::len_utf8)
            .sum();
        if glued <= 6 {
            at += glued;
        }
    }
    rest.push_str(&lower[at..]);
    let mut roles: Vec<Role> = hits.iter().map(|h| h.role).collect();
    roles.sort();
    roles.dedup();
    // Keep the original capitalisation of what is left: map back word by word.
    let originals: Vec<&str> = text
        .split(|c: char| !is_name_char(c))
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<String> = rest
        .split(|c: char| !is_name_char(c))
        .filter(|w| !w.is_empty())
        .map(strip_honorific)
        .filter(|w| !w.is_empty())
        .map(|w| {
            originals
                .iter()
                .find(|o| o.to_lowercase() == w)
                .map_or(w.clone(), |o| o.to_string())
        })
        .collect();
    (kept.join(" "), roles)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '’' || c == 'ʼ' || c == '-' || c == '.'
}

/// Drops an honorific that is the whole word or a suffix of a Hangul/Hanzi word (김씨 → 김).
fn strip_honorific(word: &str) -> String {
    let w = word.trim_matches(|c| c == '.' || c == '-');
    if HONORIFICS
        .iter()
        .any(|h| h.trim_end_matches('.') == w || *h == word)
    {
        return String::new();
    }
    for h in HONORIFICS {
        let cjk = !h.chars().any(is_word_char);
        if cjk {
            if let Some(stem) = w.strip_suffix(h) {
                if !stem.is_empty() {
                    return stem.to_string();
                }
            }
        }
    }
    w.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_apart_from_their_roles_in_every_language() {
        assert_eq!(split_name("김 반장"), ("김".into(), vec![Role::TeamLeader]));
        assert_eq!(
            split_name("Kim, the team leader"),
            ("Kim".into(), vec![Role::TeamLeader])
        );
        assert_eq!(
            split_name("бригадир Ким"),
            ("Ким".into(), vec![Role::TeamLeader])
        );
        assert_eq!(
            split_name("Пак (старший группы)"),
            ("Пак".into(), vec![Role::TeamLeader])
        );
        assert_eq!(split_name("李经理"), ("李".into(), vec![Role::Manager]));
        assert_eq!(split_name("Mr. Ri"), ("Ri".into(), vec![]));
        assert_eq!(split_name("김씨"), ("김".into(), vec![]));
        assert_eq!(split_name("박 동무"), ("박".into(), vec![]));
        assert_eq!(
            split_name("المشرف تشوي"),
            ("تشوي".into(), vec![Role::Minder])
        );
        assert_eq!(
            split_name("kierownik grupy"),
            ("".into(), vec![Role::TeamLeader])
        );
    }

    #[test]
    fn a_role_word_inside_another_word_is_not_a_role() {
        assert!(find_roles("the tolkien books").is_empty());
        assert!(find_roles("minders").is_empty());
        assert_eq!(find_roles("с бригадиром Кимом")[0].role, Role::TeamLeader);
        assert_eq!(find_roles("노동자들은 반장에게")[0].role, Role::TeamLeader);
        assert!(
            find_roles("공사장 안 컨테이너").is_empty(),
            "공사장 is a building site"
        );
        assert_eq!(
            split_name("김반장이"),
            ("김".into(), vec![Role::TeamLeader])
        );
    }
}
