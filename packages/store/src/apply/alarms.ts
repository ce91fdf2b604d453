export type AlarmType = 'NOSPACE' | 'CORRUPT';

export interface Alarm {
  readonly memberId: number;
  readonly alarm: AlarmType;
}

/**
 * Raised alarms per member (etcd's v3alarm.AlarmStore). Replicated: changed only by applied
 * Alarm requests, persisted in snapshots. While a NOSPACE alarm is raised anywhere in the
 * cluster, writes that add data are refused; CORRUPT refuses every request.
 */
export class AlarmStore {
  private readonly alarms = new Map<AlarmType, Set<number>>();

  /** Raises an alarm; returns it (also when it was already raised). */
  activate(memberId: number, alarm: AlarmType): Alarm {
    let members = this.alarms.get(alarm);
    if (members === undefined) this.alarms.set(alarm, (members = new Set()));
    members.add(memberId);
    return { memberId, alarm };
  }

  /** Clears an alarm; returns it, or undefined if it was not raised. */
  deactivate(memberId: number, alarm: AlarmType): Alarm | undefined {
    const members = this.alarms.get(alarm);
    if (members === undefined || !members.delete(memberId)) return undefined;
    if (members.size === 0) this.alarms.delete(alarm);
    return { memberId, alarm };
  }

  /** Alarms of one type, or all of them when `alarm` is undefined; ordered by member then type. */
  list(alarm?: AlarmType): Alarm[] {
    const out: Alarm[] = [];
    for (const [type, members] of this.alarms) {
      if (alarm !== undefined && type !== alarm) continue;
      for (const memberId of members) out.push({ memberId, alarm: type });
    }
    return out.sort((a, b) => a.memberId - b.memberId || a.alarm.localeCompare(b.alarm));
  }

  isRaised(alarm: AlarmType): boolean {
    return (this.alarms.get(alarm)?.size ?? 0) > 0;
  }

  restore(alarms: Iterable<Alarm>): void {
    this.alarms.clear();
    for (const a of alarms) this.activate(a.memberId, a.alarm);
  }
}
