//! Sector words in the seven page languages, normalised to the tip form's vocabulary
//! ([`Sector`]), so that "건설", "стройка" and "budowa" count as one sector in a case.
//!
//! Must never: pick a sector from a word that is not listed; unknown words give `None`.

use crate::domain::tip::Sector;

#[rustfmt::skip]
static WORDS: &[(Sector, &[&str])] = &[
    (Sector::Construction, &["construction", "building", "건설", "건축", "공사", "строительство", "стройка", "строитель", "建筑", "建设", "工地", "budowa", "budownictwo", "bouw", "bouwplaats", "بناء", "إنشاءات", "مقاولات"]),
    (Sector::Logging, &["logging", "forestry", "벌목", "임업", "лесозаготов", "лесоповал", "伐木", "林业", "wyrąb", "tartak", "houtkap", "قطع الأشجار"]),
    (Sector::Shipbuilding, &["shipbuilding", "shipyard", "조선소", "조선업", "судостро", "верфь", "造船", "船厂", "stocznia", "scheepsbouw", "werf", "بناء السفن"]),
    (Sector::Restaurant, &["restaurant", "식당", "레스토랑", "ресторан", "餐厅", "餐馆", "饭店", "restauracja", "مطعم"]),
    (Sector::Garment, &["garment", "textile", "sewing", "봉제", "의류", "швейн", "текстиль", "服装", "纺织", "szwalnia", "odzież", "kleding", "textiel", "ملابس", "نسيج"]),
    (Sector::Mining, &["mining", "mine", "광산", "채굴", "шахта", "рудник", "добыча", "矿", "kopalnia", "górnictwo", "mijn", "مناجم", "تعدين"]),
    (Sector::Agriculture, &["agriculture", "farm", "농업", "농장", "сельское хозяйство", "ферма", "теплиц", "农业", "农场", "rolnictwo", "gospodarstwo", "landbouw", "boerderij", "زراعة", "مزرعة"]),
    (Sector::Fishing, &["fishing", "fishery", "seafood", "어업", "수산", "рыболов", "рыбн", "渔业", "捕鱼", "rybołówstwo", "visserij", "صيد"]),
    (Sector::It, &["it", "software", "programming", "프로그램", "소프트웨어", "программист", "软件", "程序", "programowanie", "برمجيات"]),
];

/// The sector a value names: the form's own words (`construction`) or a word for it in any
/// page language.
pub fn normalise_sector(text: &str) -> Option<Sector> {
    let t = text.trim().to_lowercase();
    if let Ok(s) = serde_json::from_value::<Sector>(serde_json::Value::String(t.clone())) {
        return (s != Sector::Other).then_some(s);
    }
    WORDS
        .iter()
        .find(|(_, words)| {
            words.iter().any(|w| {
                if w.is_ascii() && w.len() <= 3 {
                    t == *w
                } else {
                    t.contains(w)
                }
            })
        })
        .map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_words_in_every_language_normalise() {
        for (word, sector) in [
            ("construction", Sector::Construction),
            ("건설현장", Sector::Construction),
            ("стройка", Sector::Construction),
            ("Budowa", Sector::Construction),
            ("лесозаготовка", Sector::Logging),
            ("伐木", Sector::Logging),
            ("stocznia", Sector::Shipbuilding),
            ("餐厅", Sector::Restaurant),
            ("مطعم", Sector::Restaurant),
            ("IT", Sector::It),
        ] {
            assert_eq!(normalise_sector(word), Some(sector), "{word}");
        }
        assert_eq!(normalise_sector("kitchen sink"), None);
        assert_eq!(normalise_sector("other"), None);
    }
}
