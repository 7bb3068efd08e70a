//! Public reference data: the region tree, departments and industry
//! chains, as the reference API shows them. Reads only; the data is loaded
//! at start (`storage::reference`) and changed by administrators through
//! `services::departments` and `services::catalogue`.

use crate::domain::region::{RegionCode, RegionLevel};
use crate::storage::chains::Chain;
use crate::storage::departments::Department;
use crate::storage::regions::Region;
use crate::storage::{Database, StorageError};

/// The provinces, or the children of `parent`; None when `parent` names no
/// region.
pub async fn regions(
    db: &Database,
    parent: Option<RegionCode>,
) -> Result<Option<Vec<Region>>, StorageError> {
    db.run(move |conn| {
        Ok(match parent {
            None => Some(Region::provinces(conn)?),
            Some(code) => match Region::find(conn, code.as_str())? {
                None => None,
                Some(_) => Some(Region::children(conn, code.as_str())?),
            },
        })
    })
    .await
}

/// A region with its ancestors (from the top) and children.
pub struct RegionInTree {
    pub region: Region,
    pub ancestors: Vec<Region>,
    pub children: Vec<Region>,
}

pub async fn region(db: &Database, code: RegionCode) -> Result<Option<RegionInTree>, StorageError> {
    db.run(move |conn| {
        let Some(region) = Region::find(conn, code.as_str())? else {
            return Ok(None);
        };
        let mut ancestors = Vec::new();
        let mut parent = region.parent_code.clone();
        while let Some(p) = parent {
            let Some(r) = Region::find(conn, &p)? else {
                break;
            };
            parent = r.parent_code.clone();
            ancestors.push(r);
        }
        ancestors.reverse();
        // A county row sharing its prefecture's code has no children.
        let children = if region.level == RegionLevel::County {
            Vec::new()
        } else {
            Region::children(conn, &region.code)?
        };
        Ok(Some(RegionInTree {
            region,
            ancestors,
            children,
        }))
    })
    .await
}

/// Every region with one of these codes, ordered by code and level.
pub async fn regions_with_codes(
    db: &Database,
    codes: Vec<String>,
) -> Result<Vec<Region>, StorageError> {
    db.run(move |conn| Ok(Region::find_many(conn, &codes)?))
        .await
}

/// A department with its region, chain, ancestors (from the top) and
/// direct children.
pub struct DepartmentInTree {
    pub department: Department,
    pub region: Option<Region>,
    pub chain: Option<Chain>,
    pub ancestors: Vec<Department>,
    pub children: Vec<Department>,
}

pub async fn department(db: &Database, id: i64) -> Result<Option<DepartmentInTree>, StorageError> {
    db.run(move |conn| {
        let Some(department) = Department::find(conn, id)? else {
            return Ok(None);
        };
        let region = match (&department.region_code, &department.region_level) {
            (Some(code), Some(level)) => Region::find_at(conn, code, *level)?,
            _ => None,
        };
        let chain = match &department.chain_code {
            Some(code) => Chain::find(conn, code)?,
            None => None,
        };
        let ancestry = department.ancestry();
        let mut ancestors = Department::load_many(conn, &ancestry[..ancestry.len() - 1])?;
        ancestors.sort_by_key(|a| ancestry.iter().position(|id| *id == a.id));
        let children = Department::children(conn, id)?;
        Ok(Some(DepartmentInTree {
            department,
            region,
            chain,
            ancestors,
            children,
        }))
    })
    .await
}

/// The industry chains with a coordination platform.
pub async fn chains(db: &Database) -> Result<Vec<Chain>, StorageError> {
    db.run(|conn| Ok(Chain::all(conn)?)).await
}
