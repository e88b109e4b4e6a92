#include <stdio.h>
#include "greet.h"

int main(void) {
  printf("%s: 2 + 3 = %d\n", greeting(), add(2, 3));
  return 0;
}
