/* fault: named points at which a test can make the process die.
 *
 * LB_FAULT="point[,point...]" in the environment makes lb_fault_point()
 * SIGKILL the process when it reaches one of those points, the closest a
 * test gets to pulling the plug at an exact moment. Unset in production,
 * where a point costs one getenv().
 */
#pragma once

void lb_fault_point (const char *name);
