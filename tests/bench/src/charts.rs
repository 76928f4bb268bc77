//! The order runs as SVG charts, drawn with plotters' SVG backend: orders/s and p99
//! latency against connections (log scale), one line per database and kind, the
//! service solid with filled dots, its ceiling dashed with hollow ones, and the legend
//! in a panel of its own beside the plot so that it never hides a point. Text is left to
//! the viewer's sans-serif font (`<text>` elements), so no font is needed to draw.

use crate::report::{OrderRun, Report};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const SIZE: (u32, u32) = (1000, 520);
const LEGEND_WIDTH: u32 = 270;
/// One colour per database, in the report's order.
const COLOURS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];
const FONT: &str = "sans-serif";

/// A quantity of an order run to chart, for the service and for its ceiling.
struct Quantity {
    /// The file name's ending: `orders` or `p99`.
    name: &'static str,
    title: &'static str,
    axis: &'static str,
    log_scale: bool,
    service: fn(&OrderRun) -> f64,
    ceiling: fn(&OrderRun) -> Option<f64>,
}

const QUANTITIES: [Quantity; 2] = [
    Quantity {
        name: "orders",
        title: "Orders placed per second",
        axis: "orders/s",
        log_scale: false,
        service: |run| run.service.per_s,
        ceiling: |run| run.ceiling.as_ref().map(|c| c.orders_per_s),
    },
    Quantity {
        name: "p99",
        title: "p99 latency of placing an order",
        axis: "p99 latency, ms (log scale)",
        log_scale: true,
        service: |run| run.service.p99_ms,
        ceiling: |run| run.ceiling.as_ref().map(|c| c.p99_ms),
    },
];

/// One line of a chart: a database's service or its ceiling, by connections.
struct Line {
    label: String,
    colour: RGBColor,
    ceiling: bool,
    points: Vec<(f64, f64)>,
    /// Points whose ceiling ran with fewer clients than the service had connections.
    notes: Vec<((f64, f64), String)>,
}

/// The charts of `report`'s order runs, as (name, SVG document): `orders` and `p99`.
pub fn render(report: &Report) -> anyhow::Result<Vec<(&'static str, String)>> {
    QUANTITIES.iter().map(|quantity| Ok((quantity.name, chart(report, quantity)?))).collect()
}

fn lines(report: &Report, quantity: &Quantity) -> Vec<Line> {
    let usable = |value: f64| value.is_finite() && (value > 0.0 || !quantity.log_scale);
    let mut lines = Vec::new();
    for (db, colour) in report.databases.iter().zip(COLOURS.iter().cycle()) {
        let x = |run: &OrderRun| run.connections as f64;
        let service: Vec<_> =
            db.orders.iter().map(|run| (x(run), (quantity.service)(run))).filter(|p| usable(p.1)).collect();
        if !service.is_empty() {
            let label = format!("{} service", db.database);
            lines.push(Line { label, colour: *colour, ceiling: false, points: service, notes: Vec::new() });
        }
        let ceilings: Vec<_> =
            db.orders.iter().filter_map(|run| Some((run, (quantity.ceiling)(run).filter(|v| usable(*v))?))).collect();
        let Some((first, _)) = ceilings.first() else { continue };
        let how = first.ceiling.as_ref().map_or("", |c| c.how.split([' ', ',']).next().unwrap_or_default());
        lines.push(Line {
            label: format!("{} ceiling ({how})", db.database),
            colour: *colour,
            ceiling: true,
            points: ceilings.iter().map(|(run, value)| (x(run), *value)).collect(),
            notes: ceilings
                .iter()
                .filter_map(|(run, value)| {
                    let clients = run.ceiling.as_ref()?.clients?;
                    (clients != run.connections).then(|| ((x(run), *value), format!("{clients} clients")))
                })
                .collect(),
        });
    }
    lines
}

fn chart(report: &Report, quantity: &Quantity) -> anyhow::Result<String> {
    let lines = lines(report, quantity);
    let mut connections: Vec<f64> = lines.iter().flat_map(|line| line.points.iter().map(|p| p.0)).collect();
    connections.sort_by(f64::total_cmp);
    connections.dedup();
    let values = || lines.iter().flat_map(|line| line.points.iter().map(|p| p.1));
    let (low, high) = (values().fold(f64::INFINITY, f64::min), values().fold(0.0, f64::max));
    let x_range = match (connections.first(), connections.last()) {
        (Some(first), Some(last)) => first / 1.5..last * 1.5,
        _ => 1.0..128.0,
    };
    let commit = report.machine.commit.as_deref().unwrap_or("?");
    let caption = format!("{} (commit {commit}, {})", quantity.title, report.machine.started_at);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        let mut builder = ChartBuilder::on(&plot);
        builder.caption(caption, (FONT, 20)).margin(12).x_label_area_size(45).y_label_area_size(70);
        let x_axis = x_range.log_scale().with_key_points(connections.clone());
        let x_format = |c: &f64| format!("{c:.0}");
        let y_format = |v: &f64| number(*v);
        // One body for a linear and a log y axis, whose coordinate types differ.
        macro_rules! plot {
            ($builder:expr, $x_axis:expr, $y_axis:expr) => {{
                let mut chart = $builder.build_cartesian_2d($x_axis, $y_axis)?;
                chart
                    .configure_mesh()
                    .x_desc("connections (log scale)")
                    .y_desc(quantity.axis)
                    .x_label_formatter(&x_format)
                    .y_label_formatter(&y_format)
                    .light_line_style(TRANSPARENT)
                    .axis_desc_style((FONT, 16))
                    .label_style((FONT, 13))
                    .draw()?;
                draw_lines(&mut chart, &lines)?;
            }};
        }
        if quantity.log_scale {
            let (low, high) = if high > 0.0 { (low / 1.5, high * 1.5) } else { (0.1, 100.0) };
            let y_axis = (low..high).log_scale().with_key_points(one_two_five(low, high));
            plot!(builder, x_axis, y_axis);
        } else {
            let y_range = 0.0..if high > 0.0 { high * 1.1 } else { 1.0 };
            plot!(builder, x_axis, y_range);
        }
        draw_legend(&legend, &lines)?;
        root.present()?;
    }
    Ok(svg)
}

fn draw_lines<DB, X, Y>(chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>, lines: &[Line]) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for line in lines {
        let style = line.colour.stroke_width(2);
        if line.ceiling {
            chart.draw_series(DashedLineSeries::new(line.points.clone(), 8, 5, style))?;
            chart.draw_series(line.points.iter().map(|p| Circle::new(*p, 4, line.colour.stroke_width(2))))?;
        } else {
            chart.draw_series(LineSeries::new(line.points.clone(), style))?;
            chart.draw_series(line.points.iter().map(|p| Circle::new(*p, 4, line.colour.filled())))?;
        }
        let note = (FONT, 12).into_font().color(&line.colour).pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series(
            line.notes.iter().map(|(p, text)| EmptyElement::at(*p) + Text::new(text.clone(), (-6, -6), note.clone())),
        )?;
    }
    Ok(())
}

/// The legend: a sample of each line's stroke and marker, and its label.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, lines: &[Line]) -> anyhow::Result<()> {
    let label = (FONT, 14).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, line) in lines.iter().enumerate() {
        let y = 70 + 28 * i as i32;
        let (from, to) = ((8, y), (44, y));
        let style = line.colour.stroke_width(2);
        if line.ceiling {
            area.draw(&DashedPathElement::new(vec![from, to], 8, 5, style))?;
            area.draw(&Circle::new((26, y), 4, line.colour.stroke_width(2)))?;
        } else {
            area.draw(&PathElement::new(vec![from, to], style))?;
            area.draw(&Circle::new((26, y), 4, line.colour.filled()))?;
        }
        area.draw(&Text::new(line.label.clone(), (52, y), label.clone()))?;
    }
    Ok(())
}

/// The values 1, 2 and 5 times a power of ten from `low` to `high`: a log axis's ticks.
fn one_two_five(low: f64, high: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(low.log10().floor());
    while decade <= high {
        ticks.extend([1.0, 2.0, 5.0].map(|m| m * decade).into_iter().filter(|t| (low..=high).contains(t)));
        decade *= 10.0;
    }
    ticks
}

/// `value` with at most three decimals and no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceiling::Ceiling;
    use crate::cpu::Used;
    use crate::report::{DatabaseReport, Machine, Measured};

    fn measured(per_s: f64, p99_ms: f64) -> Measured {
        Measured {
            per_s,
            p50_ms: p99_ms / 2.0,
            p99_ms,
            answers: 1,
            unexpected: 0,
            statuses: Default::default(),
            samples: Vec::new(),
        }
    }

    fn ceiling(how: &str, clients: Option<usize>, orders_per_s: f64, p99_ms: f64) -> Ceiling {
        Ceiling {
            how: how.to_owned(),
            clients,
            orders_per_s,
            p50_ms: p99_ms / 2.0,
            p99_ms,
            orders: 1,
            failed: 0,
            seconds: 1.0,
            database_cpu_us_per_order: None,
            database_cpu: None,
            latencies_us: Vec::new(),
        }
    }

    fn report() -> Report {
        let mut sqlite = DatabaseReport::new("SQLite");
        let mut postgres = DatabaseReport::new("PostgreSQL");
        for (connections, per_s, p99) in [(1, 1700.0, 1.5), (8, 3900.0, 6.0), (128, 6000.0, 36.0)] {
            let c = ceiling("rusqlite, 1 connection", None, 4500.0, 0.4);
            sqlite.orders.push(OrderRun::new(connections, measured(per_s, p99), None, Used::default(), Some(c), None));
            let clients = connections.min(82);
            let c = ceiling(&format!("pgbench -M prepared -c {clients}"), Some(clients), per_s / 1.2, p99 * 2.0);
            let p99 = if connections == 8 { f64::NAN } else { p99 };
            postgres.orders.push(OrderRun::new(
                connections,
                measured(per_s / 2.0, p99),
                None,
                Used::default(),
                Some(c),
                None,
            ));
        }
        let mut machine = Machine::probe();
        machine.commit = Some("abc1234".to_owned());
        Report { machine, settings: serde_json::Value::Null, generator_check: None, databases: vec![sqlite, postgres] }
    }

    #[test]
    fn both_charts_have_a_line_per_database_and_kind_with_a_legend() {
        let charts = render(&report()).unwrap();
        assert_eq!(charts.iter().map(|c| c.0).collect::<Vec<_>>(), ["orders", "p99"]);
        for (name, svg) in &charts {
            assert!(svg.starts_with("<svg"), "{name}");
            for label in [
                "SQLite service",
                "PostgreSQL service",
                "SQLite ceiling (rusqlite)",
                "PostgreSQL ceiling (pgbench)",
                "connections (log scale)",
                "82 clients",
                "commit abc1234",
            ] {
                assert!(svg.contains(label), "{name} lacks {label:?}");
            }
        }
        // A p99 that is unknown (NaN) is left out, not drawn.
        assert!(!charts[1].1.contains("NaN"));
    }

    #[test]
    fn a_report_without_order_runs_still_draws() {
        let mut empty = report();
        empty.databases.clear();
        assert_eq!(render(&empty).unwrap().len(), 2);
    }

    #[test]
    fn log_ticks_are_one_two_five_of_each_decade() {
        assert_eq!(one_two_five(0.3, 60.0), [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
    }

    #[test]
    fn numbers_lose_their_trailing_zeros() {
        assert_eq!(number(100.0), "100");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.30000000000000004), "0.3");
    }
}
