//! Writes the reference data (regions, chains, departments) into an empty
//! database, in one transaction.

use chrono::Utc;
use diesel::prelude::*;

use super::chains::Chain;
use super::connection::AnyConnection;
use super::departments::Department;
use super::pool::StorageError;
use super::regions::Region;
use super::schema::{chains, departments, regions};
use crate::seed::{reference_plan, DEFAULT_CHAINS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    pub regions: usize,
    pub departments: usize,
}

/// Loads the reference data unless it is there already. Returns what it loaded.
pub fn load_if_empty(conn: &mut AnyConnection) -> Result<Option<Loaded>, StorageError> {
    conn.transaction(|conn| {
        if Region::count(conn)? > 0 {
            return Ok(None);
        }
        let plan = reference_plan();
        // Wall time: the database is prepared (migrate, start) before any app clock exists.
        let now = Utc::now().naive_utc();

        let chain_rows: Vec<Chain> = DEFAULT_CHAINS
            .iter()
            .enumerate()
            .map(|(i, (code, zh, en))| Chain {
                code: code.to_string(),
                name_zh: zh.to_string(),
                name_en: en.to_string(),
                sort_order: i as i32 + 1,
                active: true,
            })
            .collect();
        insert_batches!(conn, chains::table, chain_rows);

        let region_rows: Vec<Region> = plan
            .regions
            .iter()
            .map(|r| Region {
                code: r.code.to_string(),
                level: r.level,
                name: r.name.clone(),
                parent_code: r.parent_code.as_ref().map(|c| c.to_string()),
                province_code: r.province_code.to_string(),
                nominal: r.nominal,
                department_id: Some(r.department_id),
            })
            .collect();
        insert_batches!(conn, regions::table, region_rows);

        let department_rows: Vec<Department> = plan
            .departments
            .iter()
            .map(|d| Department {
                id: d.id,
                kind: d.kind,
                name: d.name.clone(),
                region_code: d.region.as_ref().map(|(c, _)| c.to_string()),
                region_level: d.region.as_ref().map(|(_, l)| *l),
                chain_code: d.chain_code.clone(),
                parent_id: d.parent_id,
                path: d.path.clone(),
                active: true,
                created_at: now,
                auto_assign: false,
                phone: None,
            })
            .collect();
        insert_batches!(conn, departments::table, department_rows);

        for (i, rule) in crate::domain::routing::default_rules().iter().enumerate() {
            super::routing_rules::insert_routing_rule(
                conn,
                &super::routing_rules::RoutingRuleRow {
                    id: rule.id,
                    position: i as i32 + 1,
                    name: rule.name.clone(),
                    enabled: true,
                    category: rule.category.clone(),
                    urgency: rule.urgency.map(|u| u.as_str().to_string()),
                    listed: rule.listed.map(|l| match l {
                        crate::domain::routing::ListedMatch::Any => "any".to_string(),
                        crate::domain::routing::ListedMatch::National => "national".to_string(),
                        crate::domain::routing::ListedMatch::Provincial => "provincial".to_string(),
                    }),
                    chain_code: rule.chain.clone(),
                    reach: rule.reach.map(|r| match r {
                        crate::domain::routing::Reach::OutsideCity => "outside_city".to_string(),
                        crate::domain::routing::Reach::OutsideProvince => {
                            "outside_province".to_string()
                        }
                    }),
                    target_level: rule.target,
                    sla_policy: rule.sla_policy.clone(),
                    notify_chain_platform: rule.notify_chain_platform,
                    created_at: now,
                    updated_at: now,
                },
            )?;
        }
        // Ids were given explicitly; later rows continue after them.
        super::dialect::continue_sequences(conn, &["departments", "routing_rules"])?;
        Ok(Some(Loaded {
            regions: region_rows.len(),
            departments: department_rows.len(),
        }))
    })
}
