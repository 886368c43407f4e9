/* main.c - the dmctl executable (all logic in dmctllib, see dmctl.h). */
#include "dmctl.h"

int main(int argc, char **argv)
{
    return dmctl_main(argc, argv);
}
