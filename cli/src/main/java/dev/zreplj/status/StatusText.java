package dev.zreplj.status;

import dev.zreplj.replication.Bytes;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code zreplj status} for people and monitoring plugins: the summary line with perfdata (each
 * filesystem's age in seconds, {@code U} when there is no backup, with the warning and critical ages),
 * then one line per job or client and one per filesystem.
 */
public final class StatusText {
    private StatusText() {}

    /** {@code push job NAME: STATUS, last run T (AGE): problems}, the same for a snap job. */
    private static String jobLine(String kind, StatusReport.Job j) {
        StringBuilder sb = new StringBuilder(kind + " job " + j.job() + ": " + j.status());
        if (j.lastRun() != null) {
            sb.append(", last run ")
                    .append(j.lastRun())
                    .append(" (")
                    .append(ago(j.lastRunAgeSeconds()))
                    .append(')');
        }
        problems(sb, j.problems());
        return sb.toString();
    }

    public static void print(StatusReport report, PrintStream out) {
        List<String> perfdata = perfdata(report);
        out.println(report.summary() + (perfdata.isEmpty() ? "" : " | " + String.join(" ", perfdata)));
        for (StatusReport.Job j : report.push()) {
            out.println(jobLine("push", j));
            for (StatusReport.Filesystem f : j.filesystems()) {
                StringBuilder line = new StringBuilder("  " + f.filesystem() + ": " + f.status() + ", "
                        + f.outcome().toLowerCase(Locale.ROOT).replace('_', ' ') + sent(f) + ", "
                        + (f.lastSuccess() == null
                                ? "never replicated"
                                : "last success " + ago(f.lastSuccessAgeSeconds())));
                if (f.lastSnapshot() != null) {
                    line.append(", last snapshot ").append(ago(f.lastSnapshotAgeSeconds()));
                }
                problems(
                        line,
                        f.problems().stream()
                                .filter(p -> !p.equals("never replicated"))
                                .toList());
                out.println(line);
            }
        }
        for (StatusReport.Job j : report.snap()) {
            out.println(jobLine("snap", j));
            for (StatusReport.Filesystem f : j.filesystems()) {
                StringBuilder line = new StringBuilder("  " + f.filesystem() + ": " + f.status() + ", "
                        + (f.lastSnapshot() == null
                                ? "no snapshot"
                                : "newest snapshot " + ago(f.lastSnapshotAgeSeconds())));
                problems(line, f.problems());
                out.println(line);
            }
        }
        for (StatusReport.Client c : report.sink()) {
            StringBuilder sb = new StringBuilder("sink job " + c.job() + ", client " + c.client() + ": " + c.status());
            if (!c.filesystems().isEmpty()) {
                sb.append(", ")
                        .append(c.filesystems().size())
                        .append(" filesystem")
                        .append(c.filesystems().size() == 1 ? "" : "s");
            }
            // An OK client has no problems; a revoked one's line says so all the same (the problems do otherwise).
            problems(
                    sb,
                    c.revoked() != null && c.status() == Level.OK
                            ? List.of(StatusCheck.revokedNote(c.revoked()))
                            : c.problems());
            out.println(sb);
            for (StatusReport.Received r : c.filesystems()) {
                StringBuilder line = new StringBuilder("  " + r.filesystem() + ": " + r.status() + ", @" + r.snapshot()
                        + " received "
                        + (r.received() == null
                                ? "at an unknown time"
                                : r.received() + " (" + ago(r.receivedAgeSeconds()) + ")"));
                problems(line, r.problems());
                out.println(line);
            }
        }
        out.flush();
    }

    private static void problems(StringBuilder sb, List<String> problems) {
        if (!problems.isEmpty()) {
            sb.append(" -- ").append(String.join("; ", problems));
        }
    }

    static List<String> perfdata(StatusReport report) {
        String thresholds = ";" + report.thresholds().warnSeconds() + ";"
                + report.thresholds().critSeconds() + ";0";
        List<String> out = new ArrayList<>();
        for (StatusReport.Job j : report.push()) {
            if (j.filesystems().isEmpty() && j.unrecorded().isEmpty()) {
                out.add("'" + j.job() + "'=U" + thresholds);
            }
            for (StatusReport.Filesystem f : j.filesystems()) {
                out.add("'" + j.job() + ":" + f.filesystem() + "'=" + seconds(f.lastSuccessAgeSeconds()) + thresholds);
            }
            for (String fs : j.unrecorded()) {
                out.add("'" + j.job() + ":" + fs + "'=U" + thresholds);
            }
        }
        for (StatusReport.Job j : report.snap()) {
            if (j.filesystems().isEmpty()) {
                out.add("'" + j.job() + "'=U" + thresholds);
            }
            for (StatusReport.Filesystem f : j.filesystems()) {
                out.add("'" + j.job() + ":" + f.filesystem() + "'=" + seconds(f.lastSnapshotAgeSeconds()) + thresholds);
            }
        }
        for (StatusReport.Client c : report.sink()) {
            if (c.filesystems().isEmpty()) {
                out.add("'" + c.job() + "/" + c.client() + "'=U" + thresholds);
            }
            for (StatusReport.Received r : c.filesystems()) {
                out.add("'" + c.job() + "/" + c.client() + ":" + r.filesystem() + "'=" + seconds(r.receivedAgeSeconds())
                        + thresholds);
            }
        }
        return out;
    }

    private static String seconds(Long age) {
        return age == null ? "U" : age + "s";
    }

    /** " 52.3 MiB of 52.1 MiB estimated" after a replication; nothing for other outcomes, which sent nothing. */
    private static String sent(StatusReport.Filesystem f) {
        if (!f.outcome().equals("REPLICATED") || f.bytes() == null) {
            return "";
        }
        return " " + Bytes.human(f.bytes())
                + (f.estimatedBytes() == null ? "" : " of " + Bytes.human(f.estimatedBytes()) + " estimated");
    }

    /** {@code seconds} null: a time ahead of this clock, whose age is unknown (the problems say why). */
    static String ago(Long seconds) {
        if (seconds == null) return "age unknown";
        Duration d = Duration.ofSeconds(seconds);
        if (d.toMinutes() < 1) return d.toSeconds() + "s ago";
        if (d.toHours() < 1) return d.toMinutes() + "m ago";
        if (d.toDays() < 1) return d.toHours() + "h" + (d.toMinutesPart() > 0 ? d.toMinutesPart() + "m" : "") + " ago";
        return d.toDays() + "d" + (d.toHoursPart() > 0 ? d.toHoursPart() + "h" : "") + " ago";
    }
}
