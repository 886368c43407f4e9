/* ddl_split.c - prints how the worker's DDL parser splits statements (probe tool for
 * alter_split_fuzz.py; not built by CMake). Build after the main build:
 *   gcc -O1 -Iworker/ddl -Iworker -Icommon scripts/probe/ddl_split.c build/worker/libdmworker.a \
 *       build/common/libdmcommon.a -lre2 -lstdc++ -ljansson -o /tmp/ddl_split
 * stdin: one statement a line (default database x); stdout: kind, then each item, \x1e-separated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ddl.h"
int main(void) {
    char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        struct worker_ddl d;
        worker_ddl_parse(line, "x", &d);
        printf("%d", (int)d.kind);
        for (size_t i = 0; i < d.n; i++) printf("\x1e%s", d.items[i].text);
        if (d.kind != WDDL_DDL) printf("\x1e%s", d.err);
        printf("\n");
        fflush(stdout);
        worker_ddl_free(&d);
    }
    return 0;
}
