import type { Usage, UsageSeries } from "@/components/api-types";
import { closeCodeLabel } from "@/components/apps/close-codes";
import { formatNumber } from "@/components/format";

/**
 * What became of this period's messages and connections. Every row counts the whole billing period
 * (deliveries and drops from the period totals, closes from the period's counters), whatever range
 * the charts above show.
 */
export function OutcomesTable({ usage, closesByCode }: { usage: Usage; closesByCode: UsageSeries["outcomes"]["closesByCode"] }) {
  const closes = Object.entries(closesByCode)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => Number(a) - Number(b));
  return (
    <section className="card" aria-labelledby="outcomes-heading">
      <h3 id="outcomes-heading">Outcomes this billing period</h3>
      <table className="table compact" aria-label="Message outcomes">
        <thead>
          <tr>
            <th scope="col">Messages</th>
            <th scope="col" className="num">
              Count
            </th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>Delivered to subscribers</td>
            <td className="num">{formatNumber(usage.deliveredMessages)}</td>
          </tr>
          <tr>
            <td>Refused (over the message quota)</td>
            <td className="num">{formatNumber(usage.softDrops)}</td>
          </tr>
        </tbody>
      </table>
      <table className="table compact" aria-label="Connection closes">
        <thead>
          <tr>
            <th scope="col">Connections closed</th>
            <th scope="col" className="num">
              Count
            </th>
          </tr>
        </thead>
        <tbody>
          {closes.length === 0 ? (
            <tr>
              <td colSpan={2} className="muted">
                No connection has closed this period, for any reason.
              </td>
            </tr>
          ) : (
            closes.map(([code, count]) => (
              <tr key={code} data-close-code={code}>
                <td>{closeCodeLabel(code)}</td>
                <td className="num">{formatNumber(count)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
