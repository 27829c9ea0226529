/* test_generators.c — (being written) */
int main(void) { return 0; }
