//! Industries (国民经济行业分类, GB/T 4754-2017): the compact table of the
//! codes daily monitoring splits its rates by. A code is the section
//! letter and two to four digits (`C36` 汽车制造业, `C3670` 汽车零部件及配件
//! 制造, `I6520` 集成电路设计); a code must be in the table. The table holds
//! every manufacturing division and the groups and classes the key chains
//! of 2022 needed (cars, chips, medical supplies); more are a line each.

use super::enterprise::{issue, issue_with, FieldIssue};

/// One entry: the code, its Chinese and English names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Industry {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

const fn at(code: &'static str, name_zh: &'static str, name_en: &'static str) -> Industry {
    Industry {
        code,
        name_zh,
        name_en,
    }
}

/// The table, in code order within each section.
pub const INDUSTRIES: &[Industry] = &[
    at("C", "制造业", "Manufacturing"),
    at(
        "C13",
        "农副食品加工业",
        "Agricultural and sideline food processing",
    ),
    at("C14", "食品制造业", "Food manufacturing"),
    at(
        "C15",
        "酒、饮料和精制茶制造业",
        "Liquor, beverages and refined tea",
    ),
    at("C16", "烟草制品业", "Tobacco products"),
    at("C17", "纺织业", "Textiles"),
    at("C18", "纺织服装、服饰业", "Textile garments and apparel"),
    at(
        "C19",
        "皮革、毛皮、羽毛及其制品和制鞋业",
        "Leather, fur, feathers and footwear",
    ),
    at(
        "C20",
        "木材加工和木、竹、藤、棕、草制品业",
        "Wood, bamboo, rattan, palm and straw products",
    ),
    at("C21", "家具制造业", "Furniture"),
    at("C22", "造纸和纸制品业", "Paper and paper products"),
    at(
        "C23",
        "印刷和记录媒介复制业",
        "Printing and reproduction of recording media",
    ),
    at(
        "C24",
        "文教、工美、体育和娱乐用品制造业",
        "Stationery, crafts, sports and entertainment goods",
    ),
    at(
        "C25",
        "石油、煤炭及其他燃料加工业",
        "Petroleum, coal and other fuel processing",
    ),
    at(
        "C26",
        "化学原料和化学制品制造业",
        "Chemical raw materials and chemical products",
    ),
    at("C27", "医药制造业", "Medicines"),
    at("C2720", "化学药品制剂制造", "Chemical drug preparations"),
    at("C2761", "生物药品制造", "Biological medicines"),
    at(
        "C2770",
        "卫生材料及医药用品制造",
        "Sanitary materials and medical supplies",
    ),
    at("C28", "化学纤维制造业", "Chemical fibres"),
    at("C29", "橡胶和塑料制品业", "Rubber and plastic products"),
    at("C30", "非金属矿物制品业", "Non-metallic mineral products"),
    at(
        "C31",
        "黑色金属冶炼和压延加工业",
        "Smelting and pressing of ferrous metals",
    ),
    at(
        "C32",
        "有色金属冶炼和压延加工业",
        "Smelting and pressing of non-ferrous metals",
    ),
    at("C33", "金属制品业", "Metal products"),
    at("C34", "通用设备制造业", "General-purpose machinery"),
    at("C35", "专用设备制造业", "Special-purpose machinery"),
    at(
        "C358",
        "医疗仪器设备及器械制造",
        "Medical instruments and equipment",
    ),
    at("C36", "汽车制造业", "Automobiles"),
    at("C361", "汽车整车制造", "Complete vehicles"),
    at("C3611", "汽柴油车整车制造", "Petrol and diesel vehicles"),
    at("C3612", "新能源车整车制造", "New-energy vehicles"),
    at("C3620", "汽车用发动机制造", "Automotive engines"),
    at("C3660", "汽车车身、挂车制造", "Vehicle bodies and trailers"),
    at(
        "C3670",
        "汽车零部件及配件制造",
        "Automotive parts and accessories",
    ),
    at(
        "C37",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Railway, ship, aerospace and other transport equipment",
    ),
    at(
        "C38",
        "电气机械和器材制造业",
        "Electrical machinery and equipment",
    ),
    at("C3841", "锂离子电池制造", "Lithium-ion batteries"),
    at(
        "C39",
        "计算机、通信和其他电子设备制造业",
        "Computers, communication and other electronic equipment",
    ),
    at("C3920", "通信设备制造", "Communication equipment"),
    at(
        "C3950",
        "非专业视听设备制造",
        "Consumer audio-visual equipment",
    ),
    at("C3960", "智能消费设备制造", "Smart consumer devices"),
    at("C397", "电子器件制造", "Electronic devices"),
    at("C3973", "集成电路制造", "Integrated circuits"),
    at("C3974", "显示器件制造", "Display devices"),
    at(
        "C398",
        "电子元件及电子专用材料制造",
        "Electronic components and materials",
    ),
    at("C40", "仪器仪表制造业", "Instruments and meters"),
    at("C41", "其他制造业", "Other manufacturing"),
    at("C42", "废弃资源综合利用业", "Recycling of waste resources"),
    at(
        "C43",
        "金属制品、机械和设备修理业",
        "Repair of metal products, machinery and equipment",
    ),
    at("F", "批发和零售业", "Wholesale and retail"),
    at("F51", "批发业", "Wholesale"),
    at("G", "交通运输、仓储和邮政业", "Transport, storage and post"),
    at("G54", "道路运输业", "Road transport"),
    at("G59", "装卸搬运和仓储业", "Handling and warehousing"),
    at(
        "I",
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and IT services",
    ),
    at("I65", "软件和信息技术服务业", "Software and IT services"),
    at("I6520", "集成电路设计", "Integrated circuit design"),
];

/// The entry of a code, if the table has it.
pub fn find(code: &str) -> Option<&'static Industry> {
    INDUSTRIES.iter().find(|i| i.code == code)
}

/// A code as people type it (`c3670`, ` C36 `) in its stored form.
fn normalise(text: &str) -> String {
    text.trim().to_ascii_uppercase()
}

/// Whether the text has a code's shape: a section letter, then nothing or
/// two to four digits.
fn well_formed(code: &str) -> bool {
    let mut chars = code.chars();
    let letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let digits: Vec<char> = chars.collect();
    letter
        && (digits.is_empty() || (2..=4).contains(&digits.len()))
        && digits.iter().all(char::is_ascii_digit)
}

/// Parses an enterprise's industry code; it must be in the table.
pub fn parse_industry(field: &'static str, text: &str) -> Result<&'static Industry, FieldIssue> {
    let code = normalise(text);
    if code.is_empty() {
        return Err(issue(field, "daily_field.industry_required"));
    }
    if !well_formed(&code) {
        return Err(issue_with(
            field,
            "daily_field.industry_format",
            [("code", code)],
        ));
    }
    find(&code).ok_or_else(|| issue_with(field, "daily_field.industry_unknown", [("code", code)]))
}

/// Parses a filter: codes separated by commas, each matching itself and
/// the codes under it (`C36` takes `C3670`). Empty: no filter.
pub fn parse_filter(field: &'static str, text: &str) -> Result<Vec<&'static Industry>, FieldIssue> {
    text.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_industry(field, s))
        .collect()
}

/// Whether `code` is `filter` or lies under it.
pub fn within(filter: &str, code: &str) -> bool {
    code.starts_with(filter)
}

/// The division (门类 letter and 大类 two digits, `C36`) a code belongs to;
/// a section's own code stays as it is.
pub fn division_of(code: &str) -> &str {
    code.get(..3).filter(|_| code.len() >= 3).unwrap_or(code)
}

/// The most specific entry of the table at or above a code (its own, or
/// its group's, division's or section's).
pub fn nearest(code: &str) -> Option<&'static Industry> {
    (1..=code.len())
        .rev()
        .find_map(|n| code.get(..n).and_then(find))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_well_formed_and_each_code_sits_under_its_division() {
        let mut seen = std::collections::HashSet::new();
        for i in INDUSTRIES {
            assert!(well_formed(i.code), "{}", i.code);
            assert!(seen.insert(i.code), "{} twice", i.code);
            assert!(!i.name_zh.is_empty() && !i.name_en.is_empty());
            assert!(find(division_of(i.code)).is_some(), "{}", i.code);
            assert!(find(&i.code[..1]).is_some(), "{}: its section", i.code);
        }
    }

    #[test]
    fn codes_of_the_interview_parse() {
        assert_eq!(
            parse_industry("industry", " c36 ").unwrap().name_zh,
            "汽车制造业"
        );
        assert_eq!(
            parse_industry("industry", "C3973").unwrap().name_en,
            "Integrated circuits"
        );
        assert_eq!(
            parse_industry("industry", "I6520").unwrap().name_zh,
            "集成电路设计"
        );
        assert_eq!(division_of("C3670"), "C36");
        assert_eq!(division_of("C"), "C");
        assert_eq!(nearest("C3670").unwrap().code, "C3670");
        assert!(within("C36", "C3670") && !within("C36", "C3973"));
    }

    #[test]
    fn bad_codes_say_why() {
        let key = |t: &str| parse_industry("industry", t).unwrap_err().what.key;
        assert_eq!(key(""), "daily_field.industry_required");
        assert_eq!(key("36"), "daily_field.industry_format");
        assert_eq!(key("C3"), "daily_field.industry_format");
        assert_eq!(key("C36701"), "daily_field.industry_format");
        assert_eq!(key("C3699"), "daily_field.industry_unknown");
        assert_eq!(parse_filter("industry", "C3973, I6520").unwrap().len(), 2);
        assert!(parse_filter("industry", "").unwrap().is_empty());
    }
}
