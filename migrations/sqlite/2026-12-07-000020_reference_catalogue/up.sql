-- The handling department's phone, shown to the enterprise beside its name.
ALTER TABLE departments ADD COLUMN phone TEXT;

-- Problem categories: configurable by administrators. A retired category
-- (active = false) stays on old tickets and in metrics but is not offered.
CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO categories (code, name_zh, name_en, sort_order, active) VALUES
    ('worker_return', '员工返岗', 'Worker return', 10, TRUE),
    ('logistics', '物流运输', 'Logistics', 20, TRUE),
    ('parts_supply', '零部件供应', 'Parts supply', 30, TRUE),
    ('raw_materials', '原材料保供', 'Raw materials', 40, TRUE),
    ('epidemic_control', '防疫与闭环生产', 'Epidemic control', 50, TRUE),
    ('energy', '能源保障', 'Energy', 60, TRUE),
    ('funding', '资金融资', 'Funding', 70, TRUE),
    ('policy', '政策咨询兑现', 'Policy', 80, TRUE),
    ('customs', '进出口通关', 'Customs', 90, TRUE),
    ('other', '其他', 'Other', 100, TRUE);
