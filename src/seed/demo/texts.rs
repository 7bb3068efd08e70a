//! Words of the demo: company names, problems as enterprises put them, and
//! resolutions as departments write them.

/// Picks one of `items` with the generator's next number.
fn pick<'a>(next: &mut dyn FnMut() -> u64, items: &[&'a str]) -> &'a str {
    items[(next() % items.len() as u64) as usize]
}

/// Two characters make a trade name: 恒 + 瑞 = 恒瑞.
const FIRST: [&str; 24] = [
    "恒", "华", "中", "申", "鑫", "远", "精", "联", "国", "宏", "天", "正", "博", "凯", "金", "永",
    "新", "东", "海", "长", "启", "汇", "德", "嘉",
];
const SECOND: [&str; 24] = [
    "力", "瑞", "科", "达", "源", "航", "工", "创", "泰", "图", "成", "川", "盛", "桥", "安", "锐",
    "方", "兴", "明", "通", "昌", "禾", "信", "诚",
];

fn industry(chain: &str) -> &'static [&'static str] {
    match chain {
        "automotive" => &[
            "汽车零部件",
            "汽车电子",
            "精密冲压",
            "线束",
            "座椅系统",
            "动力电池",
        ],
        "integrated_circuits" => &["半导体", "集成电路", "微电子", "芯片封测"],
        "medical_supplies" => &["医疗器械", "医用防护用品", "医用耗材"],
        "biomedicine" => &["生物医药", "制药"],
        "equipment" => &["机械装备", "数控机床", "工业自动化"],
        "consumer_electronics" => &["电子科技", "智能终端"],
        "food" => &["食品", "粮油"],
        _ => &["实业", "新材料", "化工", "纺织", "包装材料"],
    }
}

/// A company name such as 苏州恒力汽车零部件有限公司.
pub fn company_name(next: &mut dyn FnMut() -> u64, city: &str, chain: &str) -> String {
    let (a, b) = (pick(next, &FIRST), pick(next, &SECOND));
    let what = pick(next, industry(chain));
    format!("{city}{a}{b}{what}有限公司")
}

/// A category: in the surge mostly people and trucks, later parts,
/// materials, money and policy.
pub fn category(next: &mut dyn FnMut() -> u64, surge: bool) -> &'static str {
    let surge_mix: [&str; 10] = [
        "worker_return",
        "worker_return",
        "logistics",
        "logistics",
        "logistics",
        "parts_supply",
        "parts_supply",
        "epidemic_control",
        "raw_materials",
        "energy",
    ];
    let later_mix: [&str; 10] = [
        "parts_supply",
        "parts_supply",
        "raw_materials",
        "raw_materials",
        "funding",
        "funding",
        "policy",
        "logistics",
        "customs",
        "other",
    ];
    pick(next, if surge { &surge_mix } else { &later_mix })
}

/// A problem's title and description, as an enterprise would put them.
pub fn problem(next: &mut dyn FnMut() -> u64, category: &str) -> (String, String) {
    let options: &[(&str, &str)] = match category {
        "worker_return" => &[
            (
                "员工无法返岗",
                "封控区内 120 名员工无法返回工厂，两条生产线停工，申请闭环通勤车辆通行。",
            ),
            (
                "一线工人返厂受阻",
                "外省返岗员工被要求集中隔离 14 天，产能只剩三成，请协调返岗政策。",
            ),
        ],
        "logistics" => &[
            (
                "货车无法进园",
                "高速出口劝返运输车辆，原材料无法进厂，成品无法发出，申请重点物资运输车辆通行证。",
            ),
            (
                "零部件运输中断",
                "上游供应商货车在检查站滞留两天，急需协调跨省运输通行。",
            ),
            (
                "港口集装箱提货困难",
                "进口设备滞留港口，集卡司机短缺，请协助安排提货。",
            ),
        ],
        "parts_supply" => &[
            (
                "关键零部件断供",
                "上游芯片供应商停产，库存只够三天，整车生产面临停线，请协调恢复供货。",
            ),
            (
                "线束供应告急",
                "配套线束企业位于封控区，无法发货，请协调其复工复产。",
            ),
        ],
        "raw_materials" => &[
            (
                "原材料价格上涨且供应不足",
                "钢材和铝材到货延迟，价格上涨两成，请协助对接保供渠道。",
            ),
            (
                "氦气短缺",
                "特种气体供应中断，晶圆产线面临停产，请协调气源。",
            ),
        ],
        "epidemic_control" => &[
            (
                "闭环生产方案审批",
                "申请按闭环管理方式复工，请指导防疫方案并协调审批。",
            ),
            (
                "核酸检测能力不足",
                "厂区员工每日核酸检测排队过长，影响生产，请协调上门检测。",
            ),
        ],
        "energy" => &[(
            "用电负荷受限",
            "有序用电期间产线限电，请协调保障重点订单生产用电。",
        )],
        "funding" => &[
            (
                "流动资金紧张",
                "停产一个月导致资金周转困难，申请纾困贷款和贴息政策支持。",
            ),
            ("应收账款回款困难", "下游客户拖欠货款，请协助协调清欠。"),
        ],
        "policy" => &[(
            "稳岗补贴申领",
            "咨询稳岗补贴和社保缓缴政策的申领条件和流程。",
        )],
        "customs" => &[(
            "出口报关延误",
            "出口订单报关查验时间过长，交货期将违约，请协调通关。",
        )],
        _ => &[("其他生产经营困难", "生产经营遇到困难，请相关部门协助协调。")],
    };
    let (title, description) = options[(next() % options.len() as u64) as usize];
    (title.to_string(), description.to_string())
}

/// A resolution as a department writes it.
pub fn resolution(next: &mut dyn FnMut() -> u64) -> String {
    pick(
        next,
        &[
            "已协调交通部门办理重点物资运输车辆通行证，车辆已进园。",
            "已协调上游企业复工并恢复供货，企业确认收到首批零部件。",
            "已安排闭环通勤车辆，员工已返岗，生产线恢复运转。",
            "已对接金融机构，企业获得纾困贷款。",
            "已协调相关部门完成审批，企业已按方案复工。",
            "已答复政策要点并协助企业完成申报。",
        ],
    )
    .to_string()
}
