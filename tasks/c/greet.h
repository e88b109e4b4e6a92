#ifndef GREET_H
#define GREET_H
const char *greeting(void);
int add(int a, int b);
#endif
