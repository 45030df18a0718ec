package dev.zreplj.cli;

final class TestConfigs {
    /** A push job and a sink job; line 10 holds the push job's filesystems key. */
    static final String PUSH_AND_SINK = """
            jobs:
              - name: laptop
                type: push
                connect:
                  type: ssh+stdinserver
                  host: backup.example.org
                  user: zreplj
                  identity_file: /etc/zreplj/ssh/identity
                # everything in rpool except scratch space
                filesystems: {
                  "rpool<": true,
                  "rpool/tmp<": false,
                  "rpool/tmp/keep": true
                }
                snapshotting:
                  type: periodic
                  prefix: zrepl_
                  interval: 10m
                pruning:
                  keep_sender:
                    - type: not_replicated
                  keep_receiver:
                    - type: last_n
                      count: 24
              - name: box
                type: sink
                root_fs: backup/clients
                serve:
                  type: stdinserver
                  client_identities: [laptop]
            """;

    private TestConfigs() {}
}
