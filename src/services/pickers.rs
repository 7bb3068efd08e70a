//! Choosing a department or an enterprise by what people know of it (a
//! name, a region code, a credit code) rather than by an internal id: the
//! administrators' pickers and `yizhan user create --department`.

use std::collections::HashMap;

use crate::domain::enterprise::{issue, FieldIssue};
use crate::storage::departments::Department;
use crate::storage::enterprises::{Enterprise, EnterpriseFilter};
use crate::storage::regions::Region;
use crate::storage::{Database, StorageError};

/// A department as a picker offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentChoice {
    pub id: i64,
    pub name: String,
    /// Levels below the group's top (0: the province's own department).
    pub depth: usize,
}

/// The departments of one province (or, with no province, the ministry and
/// the chain platforms), in tree order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentGroup {
    /// The province's name; None for the ministry's group.
    pub province: Option<String>,
    pub choices: Vec<DepartmentChoice>,
}

/// Every active department, grouped by province, each group in tree order
/// (a city followed by its counties: region codes sort that way).
pub async fn department_groups(db: &Database) -> Result<Vec<DepartmentGroup>, StorageError> {
    db.run(|conn| {
        let departments = Department::all_active(conn)?;
        let provinces = Region::provinces(conn)?;
        Ok(group_departments(departments, &provinces))
    })
    .await
}

fn group_departments(
    mut departments: Vec<Department>,
    provinces: &[Region],
) -> Vec<DepartmentGroup> {
    departments.sort_by(|a, b| {
        (a.region_code.is_some(), &a.region_code, a.path.len(), a.id).cmp(&(
            b.region_code.is_some(),
            &b.region_code,
            b.path.len(),
            b.id,
        ))
    });
    let names: HashMap<&str, &str> = provinces
        .iter()
        .map(|p| (p.code.get(..2).unwrap_or(""), p.name.as_str()))
        .collect();
    let mut groups: Vec<DepartmentGroup> = Vec::new();
    let mut top_depth = 0;
    for d in departments {
        let prefix = d.region_code.as_deref().and_then(|c| c.get(..2));
        let province = prefix.map(|p| names.get(p).map_or(p, |n| *n).to_string());
        let depth_here = d.path.matches('/').count();
        if groups.last().is_none_or(|g| g.province != province) {
            top_depth = depth_here;
            groups.push(DepartmentGroup {
                province,
                choices: Vec::new(),
            });
        }
        let group = groups.last_mut().expect("pushed above");
        group.choices.push(DepartmentChoice {
            id: d.id,
            name: d.name,
            depth: depth_here.saturating_sub(top_depth),
        });
    }
    groups
}

/// Why a department could not be told from what was typed.
#[derive(Debug, thiserror::Error)]
pub enum DepartmentReferenceError {
    #[error("no department with the id, region code or name “{0}”")]
    NotFound(String),
    #[error("“{0}” names several departments: {1}; give the id instead")]
    Ambiguous(String, String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The department an operator means by `text`: six digits are a region
/// code (the department serving that region: one per region), other
/// digits an id, anything else the department's exact name.
pub async fn department_by_reference(
    db: &Database,
    text: &str,
) -> Result<Department, DepartmentReferenceError> {
    let text = text.trim().to_string();
    let key = text.clone();
    let found = db
        .run(move |conn| {
            let digits = !key.is_empty() && key.chars().all(|c| c.is_ascii_digit());
            Ok(if digits && key.len() != 6 {
                match key.parse::<i64>() {
                    Ok(id) => Department::find(conn, id)?.into_iter().collect(),
                    Err(_) => Vec::new(),
                }
            } else {
                Department::by_region_or_name(conn, &key)?
                    .into_iter()
                    .filter(|d| {
                        if digits {
                            d.region_code.as_deref() == Some(&key)
                        } else {
                            d.name == key
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .await?;
    match found.len() {
        0 => Err(DepartmentReferenceError::NotFound(text)),
        1 => Ok(found.into_iter().next().expect("one")),
        _ => Err(DepartmentReferenceError::Ambiguous(
            text,
            found
                .iter()
                .map(|d| format!("{} (id {})", d.name, d.id))
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// An enterprise as the picker suggests it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EnterpriseSuggestion {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    /// What the field holds once chosen: the name and, in brackets, the code.
    pub label: String,
}

/// The enterprise field's text for an enterprise: its name and credit code.
pub fn enterprise_label(name: &str, credit_code: &str) -> String {
    format!("{name}（{credit_code}）")
}

/// The eighteen letters and digits of a credit code inside `text`, if any.
fn credit_code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() == 18)
        .map(str::to_uppercase)
}

fn filter_for(text: &str, limit: i64) -> EnterpriseFilter {
    let code = credit_code_in(text);
    EnterpriseFilter {
        name: code.is_none().then(|| text.to_string()),
        credit_code: code,
        region_prefix: None,
        chain: None,
        listed: None,
        only_id: None,
        unverified: false,
        after_id: None,
        limit,
    }
}

/// Up to ten enterprises whose name holds `text`, or with its credit code.
pub async fn enterprise_suggestions(
    db: &Database,
    text: &str,
) -> Result<Vec<EnterpriseSuggestion>, StorageError> {
    let text = text.trim().to_string();
    if text.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let found = db
        .run(move |conn| Ok(Enterprise::search(conn, &filter_for(&text, 10))?))
        .await?;
    Ok(found
        .into_iter()
        .map(|e| EnterpriseSuggestion {
            label: enterprise_label(&e.name, &e.credit_code),
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
        })
        .collect())
}

/// The enterprise the `field` names: by the credit code it holds, else by
/// a name matching exactly one enterprise (or exactly one by its whole
/// name). Empty: none.
pub async fn enterprise_by_text(
    db: &Database,
    field: &'static str,
    text: &str,
) -> Result<Result<Option<i64>, FieldIssue>, StorageError> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Ok(Ok(None));
    }
    let key = text.clone();
    let found = db
        .run(move |conn| Ok(Enterprise::search(conn, &filter_for(&key, 50))?))
        .await?;
    let exact: Vec<&Enterprise> = found.iter().filter(|e| e.name == text).collect();
    Ok(match (found.len(), exact.len()) {
        (0, _) => Err(issue(field, "desk_admin.no_enterprise_matches")),
        (1, _) => Ok(Some(found[0].id)),
        (_, 1) => Ok(Some(exact[0].id)),
        _ => Err(issue(field, "desk_admin.several_enterprises_match")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_code_is_found_inside_the_chosen_label() {
        assert_eq!(
            credit_code_in("上海某汽车零部件有限公司（91310115MA1K3YJQ5X）").as_deref(),
            Some("91310115MA1K3YJQ5X")
        );
        assert_eq!(credit_code_in("上海某汽车零部件有限公司"), None);
        assert_eq!(
            credit_code_in(&enterprise_label("甲", "91310115ma1k3yjq5x")).as_deref(),
            Some("91310115MA1K3YJQ5X")
        );
    }
}

/// A region as the filing form suggests it: its name first, then the
/// places above it in brackets (`朝阳区（吉林省 长春市）`), which is also
/// how [`regions_named`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegionSuggestion {
    pub code: String,
    pub label: String,
}

/// Regions whose name contains `word`, up to `limit`, each once (a
/// prefecture and its county row that share a code count once), with the
/// names of the places above it: the search behind every region picker.
pub(crate) fn regions_named_like(
    conn: &mut crate::storage::AnyConnection,
    word: &str,
    limit: i64,
) -> diesel::QueryResult<Vec<(Region, Vec<String>)>> {
    let mut found = Region::named_like(conn, word, limit)?;
    let mut seen = std::collections::HashSet::new();
    found.retain(|r| !r.nominal && seen.insert(r.code.clone()));
    let mut above = places_above(conn, &found)?;
    Ok(found
        .into_iter()
        .map(|r| {
            let places = above.remove(&r.code).unwrap_or_default();
            (r, places)
        })
        .collect())
}

/// The names of the places above each region (its province, and its city
/// when that is not a municipality's nominal level), by region code.
pub(crate) fn places_above(
    conn: &mut crate::storage::AnyConnection,
    found: &[Region],
) -> diesel::QueryResult<HashMap<String, Vec<String>>> {
    let mut codes: Vec<String> = found
        .iter()
        .flat_map(|r| {
            r.parent_code
                .iter()
                .cloned()
                .chain([r.province_code.clone()])
        })
        .collect();
    codes.sort();
    codes.dedup();
    let names: HashMap<String, String> = Region::find_many(conn, &codes)?
        .into_iter()
        .filter(|r| !r.nominal)
        .map(|r| (r.code, r.name))
        .collect();
    Ok(found
        .iter()
        .map(|r| {
            let mut above = Vec::new();
            if r.province_code != r.code {
                above.extend(names.get(&r.province_code).cloned());
            }
            if let Some(p) = r.parent_code.as_ref().filter(|p| **p != r.province_code) {
                above.extend(names.get(p).cloned());
            }
            (r.code.clone(), above)
        })
        .collect())
}

fn suggestion_label(name: &str, above: &[String]) -> String {
    if above.is_empty() {
        name.to_string()
    } else {
        format!("{name}（{}）", above.join(" "))
    }
}

/// Up to `limit` regions whose name contains `word`, for the filing form.
pub async fn region_suggestions(
    db: &Database,
    word: &str,
    limit: i64,
) -> Result<Vec<RegionSuggestion>, StorageError> {
    let word = word.trim().to_string();
    if word.is_empty() || crate::domain::ticket::has_control_characters(&word) {
        return Ok(Vec::new());
    }
    db.run(move |conn| {
        Ok(regions_named_like(conn, &word, limit)?
            .into_iter()
            .map(|(r, above)| RegionSuggestion {
                label: suggestion_label(&r.name, &above),
                code: r.code,
            })
            .collect())
    })
    .await
}

/// The codes of the regions named in `text` (`吴中区、朝阳区（长春市）`, or
/// six-digit codes), in order; or, for each name that names no region or
/// several, what to write instead (the several named in full).
pub async fn regions_named(
    db: &Database,
    field: &'static str,
    text: &str,
) -> Result<Result<Vec<String>, Vec<FieldIssue>>, StorageError> {
    use crate::domain::enterprise::issue_with;
    let asked = crate::domain::region::split_region_names(text);
    if asked.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    db.run(move |conn| {
        let mut codes = Vec::new();
        let mut issues = Vec::new();
        for a in &asked {
            if let Some(code) = a.code() {
                codes.push(code.to_string());
                continue;
            }
            let found = regions_named_like(conn, &a.name, 100)?;
            let fits = |(r, above): &&(Region, Vec<String>)| {
                let places: Vec<&str> = above.iter().map(String::as_str).collect();
                a.fits(&r.name, &places)
            };
            let mut fitting: Vec<&(Region, Vec<String>)> = found.iter().filter(fits).collect();
            // A name written in full is not also a shorter name of another.
            if fitting.iter().any(|(r, _)| r.name == a.name) {
                fitting.retain(|(r, _)| r.name == a.name);
            }
            match fitting.as_slice() {
                [(one, _)] => codes.push(one.code.clone()),
                [] => issues.push(issue_with(
                    field,
                    "field.region_name_unknown",
                    [("name", a.written.clone())],
                )),
                several => issues.push(issue_with(
                    field,
                    "field.region_name_several",
                    [
                        ("name", a.written.clone()),
                        (
                            "choices",
                            several
                                .iter()
                                .take(5)
                                .map(|(r, above)| suggestion_label(&r.name, above))
                                .collect::<Vec<_>>()
                                .join("、"),
                        ),
                    ],
                )),
            }
        }
        codes.dedup();
        Ok(if issues.is_empty() {
            Ok(codes)
        } else {
            Err(issues)
        })
    })
    .await
}
